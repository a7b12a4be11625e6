package io.ringline.uring;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.ThreadAwareExecutor;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Uring.metrics(group) while the group shuts down: before the loops end it reads their counters, after they ended it
 * counts them as zero; in between (the loop refuses tasks, Netty is about to call IoHandler.destroy) it must not
 * throw either. A metrics reporter polling on its own thread hits that window whenever the server stops.
 */
class MetricsDuringShutdownTest {

    @Test
    void metricsReadAsTheLoopEndsDoNotThrow() throws Exception {
        AtomicReference<EventLoopGroup> groupRef = new AtomicReference<>();
        CompletableFuture<Object> duringDestroy = new CompletableFuture<>();
        IoHandlerFactory ringline = UringIoHandler.newFactory();
        IoHandlerFactory factory = new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                IoHandler handler = ringline.newHandler(executor);
                return new IoHandler() {
                    @Override public void initialize() { handler.initialize(); }
                    @Override public int run(IoHandlerContext context) { return handler.run(context); }
                    @Override public void prepareToDestroy() { handler.prepareToDestroy(); }
                    @Override public void destroy() {
                        // Netty calls this once the loop refuses tasks; a reporter thread reads the metrics now.
                        Thread reporter = Thread.ofPlatform().start(() -> {
                            try {
                                duringDestroy.complete(Uring.metrics(groupRef.get()));
                            } catch (Throwable t) {
                                duringDestroy.complete(t);
                            }
                        });
                        try {
                            reporter.join(30_000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        handler.destroy();
                    }
                    @Override public IoRegistration register(IoHandle handle) throws Exception {
                        return handler.register(handle);
                    }
                    @Override public void wakeup() { handler.wakeup(); }
                    @Override public boolean isCompatible(Class<? extends IoHandle> type) {
                        return handler.isCompatible(type);
                    }
                };
            }
        };
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        groupRef.set(group);
        group.next().submit(() -> { }).sync();
        assertThat(Uring.metrics(group).poolSlots()).as("a running loop's pool").isPositive();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        assertThat(group.terminationFuture().await(40, TimeUnit.SECONDS)).isTrue();
        Object result = duringDestroy.get(1, TimeUnit.SECONDS);
        if (result instanceof Throwable t) {
            throw new AssertionError("Uring.metrics threw while the loop ended", t);
        }
        assertThat(Uring.metrics(group)).as("after the end").isEqualTo(UringMetrics.ZERO);
    }
}
