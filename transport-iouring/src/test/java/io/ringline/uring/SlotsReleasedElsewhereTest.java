package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.util.concurrent.RejectedExecutionHandlers;
import io.netty.util.internal.PlatformDependent;
import io.ringline.uring.ring.BufferPool;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.AbstractQueue;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pool slot released on another thread must come back to its loop's pool whatever the loop's executor does with
 * tasks: it may refuse one while the loop lives (a bounded task queue, Netty's io.netty.eventLoop.maxPendingTasks), or
 * accept one just as the loop ends and never run it (offered after the final task pass: Netty's MPSC queue cannot
 * take it back). So slots do not travel as tasks.
 */
class SlotsReleasedElsewhereTest {

    /** One loop whose SingleThreadIoEventLoop the test builds itself. */
    static final class OneLoopGroup extends MultiThreadIoEventLoopGroup {
        OneLoopGroup(IoHandlerFactory factory,
                     BiFunction<MultiThreadIoEventLoopGroup, Object[], IoEventLoop> child) {
            super(1, (Executor) null, factory, child);
        }

        @Override
        @SuppressWarnings("unchecked")
        protected IoEventLoop newChild(Executor executor, IoHandlerFactory factory, Object... args) {
            return ((BiFunction<MultiThreadIoEventLoopGroup, Object[], IoEventLoop>) args[0])
                    .apply(this, new Object[] {executor, factory});
        }
    }

    @ChannelHandler.Sharable
    static final class Keeper extends ChannelInboundHandlerAdapter {
        final BlockingQueue<ByteBuf> kept = new LinkedBlockingQueue<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            kept.add((ByteBuf) msg);
        }
    }

    private static PoolSlotByteBuf receiveOneSlot(MultiThreadIoEventLoopGroup group, Keeper keeper) throws Exception {
        Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                .childHandler(keeper).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        InetSocketAddress address = (InetSocketAddress) server.localAddress();
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.getOutputStream().write(new byte[100]);
            ByteBuf buffer = keeper.kept.poll(10, TimeUnit.SECONDS);
            assertThat(buffer).isInstanceOf(PoolSlotByteBuf.class);
            return (PoolSlotByteBuf) buffer;
        }
    }

    /**
     * With a bounded task queue that is full for a moment, the slot's task is rejected although the loop is alive:
     * the handler takes that as "the loop is ending" and hands the slot to BufferPool.returnAfterClose, so the
     * running pool never gets it back.
     */
    @Test
    void aSlotReleasedWhileTheLoopsTaskQueueIsFullComesBack() throws Exception {
        OneLoopGroup group = new OneLoopGroup(UringIoHandler.newFactory(), (parent, args) ->
                new SingleThreadIoEventLoop(parent, (Executor) args[0], (IoHandlerFactory) args[1], 16,
                        RejectedExecutionHandlers.reject(), 0));
        try {
            Keeper keeper = new Keeper();
            PoolSlotByteBuf buffer = receiveOneSlot(group, keeper);
            EventLoop loop = group.next();
            await(() -> Uring.metrics(group).slotsInUse() == 1, seconds(5), "the slot the test holds");

            CountDownLatch hold = new CountDownLatch(1);
            loop.execute(() -> {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            AtomicInteger ran = new AtomicInteger();
            int queued = 0;
            try {
                while (queued < 1_000_000) {
                    loop.execute(ran::incrementAndGet);
                    queued++;
                }
            } catch (RejectedExecutionException full) {
                // the queue is full now
            }
            assertThat(queued).as("tasks queued before the queue was full").isLessThan(1_000_000);
            assertThat(buffer.release()).isTrue(); // on this thread: the slot's task is rejected
            hold.countDown();
            int expected = queued;
            await(() -> ran.get() == expected, seconds(10), "the queued tasks to run");

            await(() -> Uring.metrics(group).slotsInUse() == 0, seconds(5), "the released slot back in the pool");
        } finally {
            shutdown(group);
        }
    }

    /** Netty's task queue, whose offer() from one chosen thread waits until the loop has terminated. */
    static final class StallingQueue extends AbstractQueue<Runnable> {
        final Queue<Runnable> delegate = PlatformDependent.newMpscQueue();
        volatile Thread stalled;
        volatile EventLoop loop;
        final CountDownLatch offering = new CountDownLatch(1);

        @Override
        public boolean offer(Runnable task) {
            if (Thread.currentThread() == stalled) {
                // The thread was preempted between SingleThreadEventExecutor.offerTask's isShutdown() check and the
                // offer itself, while the loop ran its final task pass and terminated.
                offering.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!loop.isTerminated() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            }
            return delegate.offer(task);
        }

        @Override
        public Runnable poll() {
            return delegate.poll();
        }

        @Override
        public Runnable peek() {
            return delegate.peek();
        }

        @Override
        public boolean remove(Object o) {
            return delegate.remove(o); // UnsupportedOperationException, as Netty's own queue
        }

        @Override
        public boolean isEmpty() {
            return delegate.isEmpty();
        }

        @Override
        public int size() {
            return delegate.size();
        }

        @Override
        public Iterator<Runnable> iterator() {
            return delegate.iterator();
        }
    }

    /**
     * A slot released on another thread just as its loop shuts down: the task is accepted but never runs, so the
     * slot never reaches BufferPool.returnAfterClose and the pool's memory stays mapped for good.
     */
    @Test
    void aSlotReleasedAsTheLoopShutsDownUnmapsThePool() throws Exception {
        StallingQueue queue = new StallingQueue();
        OneLoopGroup group = new OneLoopGroup(UringIoHandler.newFactory(), (parent, args) ->
                new SingleThreadIoEventLoop(parent, (Executor) args[0], (IoHandlerFactory) args[1], queue,
                        PlatformDependent.newMpscQueue(), RejectedExecutionHandlers.reject()) { });
        EventLoop loop = group.next();
        queue.loop = loop;
        Keeper keeper = new Keeper();
        PoolSlotByteBuf buffer = receiveOneSlot(group, keeper);
        UringIoHandler handler = UringIoHandler.HANDLERS.get(loop);
        BufferPool pool = handler.bufferPool();

        Thread releaser = new Thread(buffer::release, "releaser");
        queue.stalled = releaser;
        releaser.start();
        // The release is under way (stalled in the task queue's offer, if it goes through a task) or done.
        await(() -> queue.offering.getCount() == 0 || !releaser.isAlive(), seconds(10), "the release to start");
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        assertThat(group.terminationFuture().await(10, TimeUnit.SECONDS)).isTrue();
        releaser.join(30_000);
        assertThat(buffer.refCnt()).isZero();

        Field field = BufferPool.class.getDeclaredField("takenAfterClose");
        field.setAccessible(true);
        AtomicInteger stillTaken = (AtomicInteger) field.get(pool);
        await(() -> stillTaken.get() == 0, seconds(5),
                "the pool's memory unmapped once its last slot came back (slots still counted taken: "
                        + stillTaken.get() + ")");
    }
}
