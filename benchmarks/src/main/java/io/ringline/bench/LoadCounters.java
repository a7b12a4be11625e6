package io.ringline.bench;

/**
 * Totals of a load client. A request counts once all its bytes are written, a response once all
 * its bytes came back and matched; errors are failed connections, mismatched echoes and echoes
 * still missing when the run ended.
 */
public record LoadCounters(long requests, long responses, long errors) {
    public LoadCounters minus(LoadCounters earlier) {
        return new LoadCounters(requests - earlier.requests, responses - earlier.responses, errors - earlier.errors);
    }
}
