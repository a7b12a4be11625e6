package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/**
 * Fails a test class after which Netty reported a leaked buffer (or any other tracked resource): collects garbage a
 * few times, has every leak detector look at what was collected unreleased, and fails with the leak records that
 * {@link LeakDetectionListener} gathered. Registered for every class through JUnit's extension auto-detection
 * ({@code junit-platform.properties}, {@code META-INF/services/org.junit.jupiter.api.extension.Extension}).
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterAllCallback {
    private static final int ROUNDS = 3;

    @Override
    public void beforeAll(ExtensionContext context) {
        // Normally done already when the launcher session opened; this covers a launcher without that listener.
        LeakDetectionListener.install();
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        for (int i = 0; i < ROUNDS; i++) {
            System.gc();
            Thread.sleep(20); // the reference handler thread enqueues what the collection found
            // Allocations are where Netty's buffer detectors look at their queues.
            for (ByteBufAllocator allocator : new ByteBufAllocator[] {
                    ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT}) {
                allocator.directBuffer(16).release();
                allocator.heapBuffer(16).release();
            }
            ByteBuf copy = Unpooled.copiedBuffer(new byte[16]);
            copy.release();
            LeakDetectionListener.pollDetectors();
        }
        if (!LeakDetectionListener.tracks(ByteBuf.class)) {
            // Netty made its buffer leak detector before the guard was installed: leaks would go unseen.
            throw new AssertionError("the leak guard does not see ByteBuf leaks: Netty's buffers were in use before "
                    + "LeakDetectionListener installed its ResourceLeakDetectorFactory (is it registered in "
                    + "META-INF/services/org.junit.platform.launcher.LauncherSessionListener?)");
        }
        List<String> leaks = LeakDetectionListener.drainLeaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " resource leak(s) reported during or before "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }
}
