/*
 * A minimal single-threaded C echo server on io_uring (liburing), the "C parity" yardstick of issue 5: one buffer
 * per connection, recv -> send the same bytes -> recv, SINGLE_ISSUER + DEFER_TASKRUN, registered ring fd, one
 * io_uring_submit_and_wait per batch of completions. No error handling beyond closing the connection and re-arming
 * an accept the kernel ended: it exists to be measured, not deployed. Usage: uring_echo PORT (listens on 127.0.0.1).
 */
#include <liburing.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUFFER_SIZE 65536
#define MAX_FD 65536

enum { ACCEPT = 0, RECV = 1, SEND = 2 };

static char *buffers[MAX_FD];
static int pending[MAX_FD];

static void prep(struct io_uring *ring, int op, int fd, int length) {
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(ring))) {
        io_uring_submit(ring); /* the submission queue is full: hand it to the kernel */
    }
    if (op == RECV) {
        io_uring_prep_recv(sqe, fd, buffers[fd], BUFFER_SIZE, 0);
    } else {
        io_uring_prep_send(sqe, fd, buffers[fd], length, MSG_NOSIGNAL);
    }
    sqe->user_data = ((unsigned long long) op << 32) | (unsigned) fd;
}

/* One multishot accept; the kernel ends it (no IORING_CQE_F_MORE) on an error such as EMFILE or a full CQ. */
static void arm_accept(struct io_uring *ring, int listener) {
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(ring))) {
        io_uring_submit(ring);
    }
    io_uring_prep_multishot_accept(sqe, listener, NULL, NULL, 0);
    sqe->user_data = (unsigned long long) ACCEPT << 32;
}

int main(int argc, char **argv) {
    int one = 1;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 12345) };
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, (struct sockaddr *) &address, sizeof address) || listen(listener, 4096)) {
        perror("bind/listen");
        return 1;
    }
    struct io_uring ring;
    struct io_uring_params params = {
        .flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN };
    int ret = io_uring_queue_init_params(4096, &ring, &params);
    if (ret < 0) {
        fprintf(stderr, "io_uring_queue_init_params: %s\n", strerror(-ret));
        return 1;
    }
    io_uring_register_ring_fd(&ring);
    arm_accept(&ring, listener);
    printf("listening on 127.0.0.1:%d\n", ntohs(address.sin_port));
    fflush(stdout);
    for (;;) {
        io_uring_submit_and_wait(&ring, 1);
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            int op = (int) (cqe->user_data >> 32), fd = (int) (cqe->user_data & 0xffffffffu), res = cqe->res;
            if (op == ACCEPT) {
                if (!(cqe->flags & IORING_CQE_F_MORE)) {
                    arm_accept(&ring, listener);
                }
                if (res >= 0 && res < MAX_FD) {
                    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (!buffers[res] && !(buffers[res] = malloc(BUFFER_SIZE))) {
                        close(res);
                        continue;
                    }
                    prep(&ring, RECV, res, 0);
                } else if (res >= 0) {
                    close(res);
                }
            } else if (res <= 0) {
                close(fd); /* end of stream or an error */
            } else if (op == RECV) {
                pending[fd] = res;
                prep(&ring, SEND, fd, res);
            } else if (res < pending[fd]) { /* a short send: the rest first */
                memmove(buffers[fd], buffers[fd] + res, pending[fd] - res);
                pending[fd] -= res;
                prep(&ring, SEND, fd, pending[fd]);
            } else {
                prep(&ring, RECV, fd, 0);
            }
        }
        io_uring_cq_advance(&ring, seen);
    }
}
