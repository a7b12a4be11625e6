package io.ringline.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SpreadTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Spread.of(5, 1, 3)).isEqualTo(new Spread(3, 1, 5, 3));
        assertThat(Spread.of(4, 1, 3, 10)).isEqualTo(new Spread(3.5, 1, 10, 4));
    }

    @Test
    void leavesOutRoundsWithoutAFigure() {
        assertThat(Spread.of(Double.NaN, 2, Double.NaN)).isEqualTo(new Spread(2, 2, 2, 1));
        assertThat(Spread.of(Double.NaN).isEmpty()).isTrue();
    }

    @Test
    void formatsFiguresWithSensibleDecimals() {
        assertThat(ReportWriter.number(123456.7)).isEqualTo("123,457");
        assertThat(ReportWriter.number(123.4)).isEqualTo("123");
        assertThat(ReportWriter.number(12.34)).isEqualTo("12.3");
        assertThat(ReportWriter.number(1.234)).isEqualTo("1.23");
        assertThat(ReportWriter.number(Double.NaN)).isEqualTo("–");
    }
}
