package io.ringline.bench;

import java.util.Arrays;
import java.util.Collection;

/** Median and range of one figure over the rounds; {@code count} 0 when no round produced it. */
record Spread(double median, double min, double max, int count) {
    static final Spread NONE = new Spread(Double.NaN, Double.NaN, Double.NaN, 0);

    /** NaN values (failed rounds, figures not recorded) are left out. */
    static Spread of(Collection<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (sorted.length == 0) {
            return NONE;
        }
        int middle = sorted.length / 2;
        double median = sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Spread(median, sorted[0], sorted[sorted.length - 1], sorted.length);
    }

    static Spread of(double... values) {
        return of(Arrays.stream(values).boxed().toList());
    }

    boolean isEmpty() {
        return count == 0;
    }
}
