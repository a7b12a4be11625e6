package io.ringline.uring;

import io.netty.channel.IoOps;

/**
 * One raw io_uring operation for {@link io.netty.channel.IoRegistration#submit}: the SQE fields, as
 * io_uring_enter(2) documents them per opcode. {@code op} and {@code data} come back in the {@link UringIoEvent}.
 * Ringline's own channels prepare their SQEs directly; this is for third-party {@code IoHandle}s.
 */
public record UringIoOps(byte opcode, byte flags, short ioprio, int fd, long offset, long address, int length,
                         int opFlags, short bufferIndex, int op, int data) implements IoOps {
    public UringIoOps {
        if (op < 0 || op > 255 || data < 0 || data > 0xffff) {
            throw new IllegalArgumentException("op must fit 8 bits and data 16 bits: op " + op + ", data " + data);
        }
    }
}
