package io.ringline.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything one runner invocation measured, in order, plus the transports that never started. */
final class Results {
    private final List<Measurement> measurements = new ArrayList<>();
    private final Map<ServerTransport, String> unavailable = new EnumMap<>(ServerTransport.class);

    void add(Measurement measurement) {
        measurements.add(measurement);
    }

    void markUnavailable(ServerTransport transport, String reason) {
        unavailable.putIfAbsent(transport, reason);
    }

    boolean isUnavailable(ServerTransport transport) {
        return unavailable.containsKey(transport);
    }

    /** Why each transport that could not start did not, in the order they failed. */
    Map<ServerTransport, String> unavailable() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(unavailable));
    }

    List<Measurement> all() {
        return Collections.unmodifiableList(measurements);
    }

    List<Measurement> of(Scenario scenario, ServerTransport transport) {
        return measurements.stream().filter(m -> m.scenario() == scenario && m.transport() == transport).toList();
    }

    Spread spread(Scenario scenario, ServerTransport transport, Metric metric) {
        return Spread.of(of(scenario, transport).stream().map(metric::of).toList());
    }

    long errors(Scenario scenario, ServerTransport transport) {
        return of(scenario, transport).stream().mapToLong(Measurement::errors).sum();
    }

    /**
     * Ringline's figure divided by the peer's, round by round (the two ran in the same round, minutes apart, so
     * drift of the machine between rounds cancels), as median and range over the rounds where both have the figure.
     */
    Spread ringlineRatio(Scenario scenario, ServerTransport peer, Metric metric) {
        List<Double> ratios = new ArrayList<>();
        for (Measurement ringline : of(scenario, ServerTransport.RINGLINE)) {
            for (Measurement other : of(scenario, peer)) {
                if (other.round() == ringline.round()) {
                    double denominator = metric.of(other);
                    if (denominator != 0) {
                        ratios.add(metric.of(ringline) / denominator); // NaN when either lacks it: Spread skips it
                    }
                }
            }
        }
        return Spread.of(ratios);
    }

    long totalErrors() {
        return measurements.stream().mapToLong(Measurement::errors).sum();
    }

    List<Measurement> failures() {
        return measurements.stream().filter(m -> !m.ok()).toList();
    }
}
