package io.ringline.uring.ring;

import java.io.IOException;

/** The kernel's io_uring lacks a feature or opcode Ringline cannot do without; the message names it. */
public final class UnsupportedKernelException extends IOException {
    private static final long serialVersionUID = 1L;

    public UnsupportedKernelException(String message) {
        super(message);
    }
}
