package io.ringline.uring.child;

import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Child-JVM program: opens {@code count} idle connections to {@code host:port}, prints {@code CONNECTED}, and holds
 * them until its standard input closes (or 60 s pass). A separate process, so each side has its own fd limit.
 */
public final class IdleClientsMain {
    private IdleClientsMain() { }

    public static void main(String[] args) throws Exception {
        InetSocketAddress server = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int count = Integer.parseInt(args[2]);
        List<SocketChannel> connections = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                connections.add(SocketChannel.open(server));
            }
            System.out.println("CONNECTED " + connections.size());
            System.out.flush();
            Thread stdin = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // hold until the parent closes our stdin
                    }
                } catch (java.io.IOException ignored) {
                    // parent gone: done
                }
            });
            stdin.join(60_000);
        } finally {
            for (SocketChannel connection : connections) {
                connection.close();
            }
        }
    }
}
