package io.ringline.uring;

import io.netty.channel.IoHandle;

/** An {@link IoHandle} a {@link UringIoHandler} accepts: it owns a file descriptor whose operations are cancelled with its registration. */
public interface UringIoHandle extends IoHandle {
    /** The fd whose in-flight operations are cancelled when the registration is; -1 for none. */
    int fd();
}
