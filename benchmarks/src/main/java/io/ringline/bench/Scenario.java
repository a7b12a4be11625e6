package io.ringline.bench;

import picocli.CommandLine;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The workloads of the matrix. */
public enum Scenario {
    /** rust_echo_bench's classic setting: many small ping-pongs in parallel. */
    ORIGINAL("original", Kind.LOAD, 50, 512, "50 connections × 512 B ping-pong"),
    /** One connection, so every round trip is pure latency: p50/p99 are the figures. */
    LATENCY("latency", Kind.LOAD, 1, 512, "1 connection × 512 B ping-pong, round-trip p50/p99"),
    /** Ten times the connections: per-connection overhead in the event loop. */
    C500("c500", Kind.LOAD, 500, 512, "500 connections × 512 B ping-pong"),
    /** Large messages: copies and buffer handling dominate. */
    BANDWIDTH("bandwidth", Kind.LOAD, 50, 64 * 1024, "50 connections × 64 KiB ping-pong"),
    /** Memory per idle connection (after one echo each, so every connection is fully set up). */
    IDLE10K("idle10k", Kind.IDLE, 10_000, 512, "10,000 idle connections (one 512 B echo each): server memory");

    enum Kind { LOAD, IDLE }

    final String cliName;
    final Kind kind;
    final int connections;
    final int length;
    final String description;

    Scenario(String cliName, Kind kind, int connections, int length, String description) {
        this.cliName = cliName;
        this.kind = kind;
        this.connections = connections;
        this.length = length;
        this.description = description;
    }

    public String cliName() {
        return cliName;
    }

    static Scenario byName(String name) {
        for (Scenario scenario : values()) {
            if (scenario.cliName.equalsIgnoreCase(name.strip())) {
                return scenario;
            }
        }
        throw new CommandLine.TypeConversionException("unknown scenario '" + name + "'; expected one of " + names());
    }

    static String names() {
        return Arrays.stream(values()).map(s -> s.cliName).collect(Collectors.joining(", "));
    }

    /** For picocli's --scenarios. */
    static final class Converter implements CommandLine.ITypeConverter<Scenario> {
        @Override
        public Scenario convert(String value) {
            return byName(value);
        }
    }
}
