package io.ringline.bench;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.CategoryItemRendererState;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Bar charts (PNG) of a scenario: one panel per metric, one bar per transport at the median over
 * the rounds, with a whisker from the smallest to the largest round.
 */
final class ChartWriter {
    private static final int WIDTH = 900;
    private static final int PANEL_HEIGHT = 300;
    private static final Color RINGLINE_COLOR = new Color(0xC0392B);
    private static final Color PEER_COLOR = new Color(0x5D6D7E);

    private ChartWriter() {
    }

    static void write(Path png, Results results, Scenario scenario, List<ServerTransport> transports,
                      List<Metric> metrics) throws IOException {
        // Renders without a display; must be set before AWT initialises.
        System.setProperty("java.awt.headless", "true");
        CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(new CategoryAxis("transport (bar: median; whisker: min–max over rounds)"));
        plot.setGap(12);
        for (Metric metric : metrics) {
            plot.add(panel(results, scenario, transports, metric));
        }
        JFreeChart chart = new JFreeChart(scenario.cliName + " — " + scenario.description, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, PANEL_HEIGHT * metrics.size() + 80);
    }

    private static CategoryPlot panel(Results results, Scenario scenario, List<ServerTransport> transports, Metric metric) {
        DefaultCategoryDataset medians = new DefaultCategoryDataset();
        Map<String, Spread> spreads = new HashMap<>();
        for (ServerTransport transport : transports) {
            Spread spread = results.spread(scenario, transport, metric);
            if (!spread.isEmpty()) {
                medians.addValue(spread.median(), metric.label, transport.cliName);
                spreads.put(transport.cliName, spread);
            }
        }
        NumberAxis valueAxis = new NumberAxis(metric.label + (metric.higherIsBetter ? " (higher is better)" : " (lower is better)"));
        // The axis would fit the medians only; make room for the tallest whisker too.
        double highest = spreads.values().stream().mapToDouble(Spread::max).max().orElse(0);
        if (highest > 0) {
            valueAxis.setRange(0, highest * 1.1);
        }
        CategoryPlot panel = new CategoryPlot(medians, null, valueAxis, new WhiskerBarRenderer(spreads));
        panel.setOrientation(PlotOrientation.VERTICAL);
        panel.setBackgroundPaint(Color.WHITE);
        panel.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return panel;
    }

    /** Bars at the median; a vertical line with caps from min to max of the same column. */
    private static final class WhiskerBarRenderer extends BarRenderer {
        private final Map<String, Spread> spreads;

        WhiskerBarRenderer(Map<String, Spread> spreads) {
            this.spreads = spreads;
            setBarPainter(new StandardBarPainter());
            setShadowVisible(false);
            setDrawBarOutline(false);
            setMaximumBarWidth(0.12);
        }

        @Override
        public java.awt.Paint getItemPaint(int row, int column) {
            String transport = (String) getPlot().getDataset().getColumnKey(column);
            return ServerTransport.RINGLINE.cliName.equals(transport) ? RINGLINE_COLOR : PEER_COLOR;
        }

        @Override
        public void drawItem(Graphics2D g2, CategoryItemRendererState state, Rectangle2D dataArea, CategoryPlot plot,
                             CategoryAxis domainAxis, org.jfree.chart.axis.ValueAxis rangeAxis, CategoryDataset dataset,
                             int row, int column, int pass) {
            super.drawItem(g2, state, dataArea, plot, domainAxis, rangeAxis, dataset, row, column, pass);
            Spread spread = spreads.get((String) dataset.getColumnKey(column));
            if (spread == null || spread.count() < 2) {
                return;
            }
            double x = calculateBarW0(plot, plot.getOrientation(), dataArea, domainAxis, state, row, column)
                    + state.getBarWidth() / 2;
            RectangleEdge edge = plot.getRangeAxisEdge();
            double yMin = rangeAxis.valueToJava2D(spread.min(), dataArea, edge);
            double yMax = rangeAxis.valueToJava2D(spread.max(), dataArea, edge);
            double cap = state.getBarWidth() / 4;
            g2.setPaint(Color.BLACK);
            g2.setStroke(new BasicStroke(1.5f));
            g2.draw(new Line2D.Double(x, yMin, x, yMax));
            g2.draw(new Line2D.Double(x - cap, yMin, x + cap, yMin));
            g2.draw(new Line2D.Double(x - cap, yMax, x + cap, yMax));
        }
    }
}
