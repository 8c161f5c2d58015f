/* Receive and send flags and blocking calls (protocol 1.5, §6 "Flags and blocking calls"):
 * MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT, MSG_TRUNC, MSG_OOB, and `blocking` calls that only the
 * socket's own SO_RCVTIMEO / SO_SNDTIMEO end. The adapter's descriptors are non-blocking;
 * a blocking call (and MSG_WAITALL) clears O_NONBLOCK for that one call. */
#include "adapter.h"

#include <sys/time.h>

int arg_flag(json_t *args, const char *name, int *out, Error *e) {
    json_t *value = json_object_get(args, name);
    if (value && !json_is_null(value) && !json_is_boolean(value))
        return fail(e, "BADREQUEST", "argument '%s' must be a bool", name), -1;
    *out = json_is_true(value);
    return 0;
}

/* One call in blocking mode. `option` (SO_RCVTIMEO or SO_SNDTIMEO) is set to `bound` seconds
 * for it when `replace`, or when the socket has none of its own: a call never outlives the
 * request's timeout. The socket's own setting and O_NONBLOCK are put back. */
typedef struct {
    int fd, option, flags;
    struct timeval saved;
} Blocking;

static void blocking_begin(Blocking *b, const Sock *s, int option, double bound, int replace) {
    int fd = s->fd;
    socklen_t len = sizeof b->saved;
    b->fd = fd, b->option = option;
    getsockopt(fd, SOL_SOCKET, option, &b->saved, &len);
    if (replace || (b->saved.tv_sec == 0 && b->saved.tv_usec == 0)) {
        struct timeval tv = {(time_t)bound, (suseconds_t)((bound - (double)(time_t)bound) * 1e6)};
        if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1;
        setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
    }
    b->flags = fcntl(fd, F_GETFL);
    /* 1.7: a program's non-blocking socket (nonblock) stays so for its blocking calls; MSG_WAITALL
     * bounded by the request's timeout (replace) is the adapter's own wait */
    if (replace || !s->nonblock) fcntl(fd, F_SETFL, b->flags & ~O_NONBLOCK);
}

static void blocking_end(Blocking *b) {
    int saved = errno;
    fcntl(b->fd, F_SETFL, b->flags);
    setsockopt(b->fd, SOL_SOCKET, b->option, &b->saved, sizeof b->saved);
    errno = saved;
}

static ssize_t recv_blocking(const Sock *s, void *buffer, size_t len, int flags, double bound, int replace) {
    Blocking b;
    blocking_begin(&b, s, SO_RCVTIMEO, bound, replace);
    ssize_t n;
    do n = recv(s->fd, buffer, len, flags); while (n < 0 && errno == EINTR);
    blocking_end(&b);
    return n;
}

json_t *stream_recv_flags(Sock *s, json_t *args, size_t max, double timeout, Error *e) {
    int peek, waitall, oob, dontwait, blocking;
    if (arg_flag(args, "peek", &peek, e) < 0 || arg_flag(args, "waitall", &waitall, e) < 0 ||
        arg_flag(args, "oob", &oob, e) < 0 || arg_flag(args, "dontwait", &dontwait, e) < 0 ||
        arg_flag(args, "blocking", &blocking, e) < 0)
        return NULL;
    int flags = (peek ? MSG_PEEK : 0) | (oob ? MSG_OOB : 0);
    unsigned char *buffer = malloc(max);
    if (!buffer) return fail(e, "ENOMEM", "recv: cannot allocate %zu bytes", max);
    ssize_t n;
    if (dontwait || oob || (waitall && timeout == 0)) { /* one attempt */
        do n = recv(s->fd, buffer, max, flags | MSG_DONTWAIT | (waitall ? MSG_WAITALL : 0)); while (n < 0 && errno == EINTR);
    } else if (waitall) { /* SO_RCVTIMEO = the request's timeout ends a MSG_WAITALL that got nothing */
        n = recv_blocking(s, buffer, max, flags | MSG_WAITALL, timeout, 1);
        if (n < 0 && WOULD_BLOCK(errno)) {
            free(buffer);
            return fail(e, "ETIMEDOUT", "recv: timed out after %g s", timeout);
        }
    } else if (blocking) {
        n = recv_blocking(s, buffer, max, flags, timeout, 0);
    } else { /* peek alone: wait as every receive does */
        double deadline = now() + timeout;
        for (;;) {
            n = recv(s->fd, buffer, max, flags);
            if (n >= 0 || (errno != EINTR && !WOULD_BLOCK(errno))) break;
            if (errno == EINTR) continue;
            if (wait_ready(s->fd, POLLIN, timeout, deadline, "recv", e) < 0) return free(buffer), NULL;
        }
    }
    if (n < 0) return free(buffer), fail_errno(e, errno, "recv");
    json_t *result = json_pack("{s:o}", "data", b64_json(buffer, (size_t)n));
    free(buffer);
    return result;
}

json_t *stream_send_flags(Sock *s, json_t *args, const unsigned char *data, size_t len, double timeout, Error *e) {
    int oob, dontwait, blocking;
    if (arg_flag(args, "oob", &oob, e) < 0 || arg_flag(args, "dontwait", &dontwait, e) < 0 ||
        arg_flag(args, "blocking", &blocking, e) < 0)
        return NULL;
    int flags = MSG_NOSIGNAL | (oob ? MSG_OOB : 0);
    if (len == 0) return json_pack("{s:i}", "sent", 0);
    ssize_t n;
    if (dontwait) {
        do n = send(s->fd, data, len, flags | MSG_DONTWAIT); while (n < 0 && errno == EINTR);
    } else if (blocking) {
        Blocking b;
        blocking_begin(&b, s, SO_SNDTIMEO, timeout, 0);
        do n = send(s->fd, data, len, flags); while (n < 0 && errno == EINTR);
        blocking_end(&b);
    } else {
        double deadline = now() + timeout;
        for (;;) {
            n = send(s->fd, data, len, flags);
            if (n >= 0 || (errno != EINTR && !WOULD_BLOCK(errno))) break;
            if (errno == EINTR) continue;
            if (wait_ready(s->fd, POLLOUT, timeout, deadline, "send", e) < 0) return NULL;
        }
    }
    if (n < 0) return fail_errno(e, errno, "send");
    return json_pack("{s:I}", "sent", (json_int_t)n);
}

json_t *udp_recvfrom_flags(Sock *s, json_t *args, size_t max, double timeout, Error *e) {
    int peek, trunc, dontwait, blocking;
    if (arg_flag(args, "peek", &peek, e) < 0 || arg_flag(args, "trunc", &trunc, e) < 0 ||
        arg_flag(args, "dontwait", &dontwait, e) < 0 || arg_flag(args, "blocking", &blocking, e) < 0)
        return NULL;
    int flags = (peek ? MSG_PEEK : 0) | (trunc ? MSG_TRUNC : 0);
    unsigned char *buffer = malloc(max);
    if (!buffer) return fail(e, "ENOMEM", "recvfrom: cannot allocate %zu bytes", max);
    struct sockaddr_storage from;
    struct iovec iov = {buffer, max};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n;
    double deadline = now() + timeout;
    for (;;) {
        msg.msg_namelen = sizeof from;
        if (blocking && !dontwait) {
            Blocking b;
            blocking_begin(&b, s, SO_RCVTIMEO, timeout, 0);
            n = recvmsg(s->fd, &msg, flags);
            blocking_end(&b);
        } else {
            n = recvmsg(s->fd, &msg, flags | (dontwait ? MSG_DONTWAIT : 0));
        }
        if (n >= 0 || (errno != EINTR && !WOULD_BLOCK(errno)) || dontwait || blocking) break;
        if (errno == EINTR) continue;
        if (wait_ready(s->fd, POLLIN, timeout, deadline, "recvfrom", e) < 0) return free(buffer), NULL;
    }
    if (n < 0) return free(buffer), fail_errno(e, errno, "recvmsg");
    size_t copied = (size_t)n < max ? (size_t)n : max;
    json_t *result = json_pack("{s:o, s:o, s:b}", "data", b64_json(buffer, copied), "peer", address_json(&from),
                               "truncated", (msg.msg_flags & MSG_TRUNC) != 0);
    if (trunc) json_object_set_new(result, "length", json_integer(n)); /* MSG_TRUNC: the real length */
    free(buffer);
    return result;
}

/* Whether a request sets any of `names` (a NULL-terminated list): then flags.c performs it. */
int any_flag(json_t *args, const char *const *names) {
    for (; *names; names++)
        if (json_object_get(args, *names) && !json_is_false(json_object_get(args, *names)) &&
            !json_is_null(json_object_get(args, *names)))
            return 1;
    return 0;
}
