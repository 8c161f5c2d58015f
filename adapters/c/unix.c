/* Unix-domain sockets (protocol 1.4): unix.listen, unix.accept, unix.connect, unix.bind,
 * unix.socketpair, unix.sendto, unix.recvfrom (SCM_RIGHTS, SCM_CREDENTIALS), unix.peercred,
 * unix.unlink; Unix addresses <-> sockaddr_un. Plain POSIX/Linux calls, as C programs make them. */
#include "adapter.h"

#include <stddef.h>
#include <sys/time.h>
#include <sys/un.h>

/* ---- addresses ------------------------------------------------------------------------ */

/* {"path"}, {"abstract"}, {"unnamed": true} and, where allowed, {"autobind": true}.
 * *bound is 0 for unnamed (nothing to bind), 1 for a name. */
static int unix_address(json_t *address, int autobind_ok, Address *a, int *bound, Error *e) {
    memset(a, 0, sizeof *a);
    struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
    un->sun_family = AF_UNIX;
    if (!json_is_object(address)) return fail(e, "BADREQUEST", "a Unix address is an object"), -1;
    json_t *path = json_object_get(address, "path"), *abstract = json_object_get(address, "abstract");
    json_t *unnamed = json_object_get(address, "unnamed"), *autobind = json_object_get(address, "autobind");
    *bound = 1;
    if (path && !json_is_null(path)) {
        if (!json_is_string(path)) return fail(e, "BADREQUEST", "'path' must be a string"), -1;
        size_t n = json_string_length(path);
        if (n == 0) /* would be taken for an abstract name (or autobind): no path names no file */
            return supply(e, "EINVAL", "an empty path names no socket"), -1;
        if (n >= sizeof un->sun_path) /* sun_path holds 108 bytes with its NUL */
            return supply(e, "EINVAL", "path of %zu bytes does not fit sun_path", n), -1;
        memcpy(un->sun_path, json_string_value(path), n);
        a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    } else if (abstract && !json_is_null(abstract)) {
        if (!json_is_string(abstract)) return fail(e, "BADREQUEST", "'abstract' must be a string"), -1;
        size_t n = json_string_length(abstract);
        if (n + 1 > sizeof un->sun_path)
            return supply(e, "EINVAL", "abstract name of %zu bytes does not fit sun_path", n), -1;
        memcpy(un->sun_path + 1, json_string_value(abstract), n); /* sun_path[0] stays NUL */
        a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    } else if (json_is_true(unnamed)) {
        a->len = sizeof(sa_family_t);
        *bound = 0;
    } else if (json_is_true(autobind)) {
        if (!autobind_ok) return fail(e, "EINVAL", "autobind only binds a socket; it names no peer"), -1;
        a->len = sizeof(sa_family_t); /* bind(2) with the family alone: the kernel picks a name */
    } else {
        return fail(e, "BADREQUEST", "a Unix address has 'path', 'abstract' or 'unnamed'"), -1;
    }
    return 0;
}

/* A name to bind a server to: a path or an abstract name (serve.start kinds unix, unixgram). */
int unix_server_address(json_t *address, Address *a, Error *e) {
    int bound;
    if (unix_address(address, 0, a, &bound, e) < 0) return -1;
    if (!bound) return supply(e, "EINVAL", "an echo server needs a name to be reached by"), -1;
    return 0;
}

json_t *unix_address_json(const struct sockaddr_storage *ss, socklen_t len) {
    const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
    size_t offset = offsetof(struct sockaddr_un, sun_path);
    if (len <= offset) return json_pack("{s:b}", "unnamed", 1);
    size_t n = len - offset;
    if (un->sun_path[0] == '\0') {
        json_t *name = json_stringn(un->sun_path + 1, n - 1);
        if (!name) name = json_stringn_nocheck(un->sun_path + 1, n - 1);
        return json_pack("{s:o}", "abstract", name);
    }
    return json_pack("{s:s%}", "path", un->sun_path, strnlen(un->sun_path, n));
}

static int unix_kind(json_t *args, Error *e) {
    const char *kind = arg_str(args, "kind", e);
    if (!kind) return -1;
    if (strcmp(kind, "stream") == 0) return SOCK_STREAM;
    if (strcmp(kind, "dgram") == 0) return SOCK_DGRAM;
    if (strcmp(kind, "seqpacket") == 0) return SOCK_SEQPACKET;
    return fail(e, "BADREQUEST", "kind is 'stream', 'dgram' or 'seqpacket'"), -1;
}

static json_t *address_member(json_t *args, const char *name, int required, Error *e) {
    json_t *v = json_object_get(args, name);
    if (!v || json_is_null(v)) {
        if (required) return fail(e, "BADREQUEST", "missing argument '%s'", name);
        return NULL;
    }
    if (!json_is_object(v)) return fail(e, "BADREQUEST", "'%s' must be a Unix address object", name);
    return v;
}

static int unix_bind(Sock *s, json_t *address, int autobind_ok, Error *e) {
    Address a;
    int bound;
    if (unix_address(address, autobind_ok, &a, &bound, e) < 0) return -1;
    if (bound && bind(s->fd, (struct sockaddr *)&a.ss, a.len) < 0) return fail_errno(e, errno, "bind"), -1;
    return 0;
}

static json_t *handle_and_names(long handle, int with_peer, Error *e) {
    json_t *local = name_json(table[handle].fd, 0, e), *peer = NULL;
    if (!local) return NULL;
    if (with_peer && !(peer = name_json(table[handle].fd, 1, e))) return json_decref(local), NULL;
    return peer ? json_pack("{s:I, s:o, s:o}", "handle", (json_int_t)handle, "local", local, "peer", peer)
                : json_pack("{s:I, s:o}", "handle", (json_int_t)handle, "local", local);
}

/* Blocking calls with SO_SNDTIMEO are how the kernel itself waits for room at a Unix peer
 * (a full accept queue, a full datagram queue): poll(2) cannot wait for those. The socket is
 * made blocking for the one call, with the request's timeout, then non-blocking again. */
static void blocking_with_timeout(int fd, double timeout, int on) {
    struct timeval tv = {0, 0};
    if (on) {
        tv.tv_sec = (time_t)timeout;
        tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
        if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1;
    }
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? flags & ~O_NONBLOCK : flags | O_NONBLOCK);
}

/* ---- operations ------------------------------------------------------------------------ */

json_t *op_unix_listen(json_t *args, Error *e) {
    long handle;
    long long backlog;
    int type = unix_kind(args, e);
    json_t *address = type < 0 ? NULL : address_member(args, "address", 1, e);
    if (!address || arg_int(args, "backlog", 128, 0, &backlog, e) < 0) return NULL;
    if (new_socket(args, AF_UNIX, type, &handle, e) < 0) return NULL;
    if (unix_bind(&table[handle], address, 1, e) < 0) return discard(handle);
    if (listen(table[handle].fd, (int)backlog) < 0) return discard_failing(handle, e, "listen");
    json_t *result = handle_and_names(handle, 0, e);
    return result ? result : discard(handle);
}

json_t *op_unix_accept(json_t *args, Error *e) {
    double timeout;
    Sock *listener = arg_socket(args, NULL, e);
    if (!listener || arg_timeout(args, &timeout, e) < 0) return NULL;
    double deadline = now() + timeout;
    for (;;) {
        int fd = accept4(listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            long handle = register_socket(fd, listener->family, listener->type);
            json_t *result = handle_and_names(handle, 1, e);
            return result ? result : discard(handle);
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) return fail_errno(e, errno, "accept");
        if (wait_ready(listener->fd, POLLIN, timeout, deadline, "accept", e) < 0) return NULL;
    }
}

json_t *op_unix_connect(json_t *args, Error *e) {
    long handle;
    double timeout;
    Address to;
    int bound;
    int type = unix_kind(args, e);
    json_t *address = type < 0 ? NULL : address_member(args, "address", 1, e);
    if (!address || arg_timeout(args, &timeout, e) < 0) return NULL;
    json_t *bind_address = address_member(args, "bind", 0, e);
    if (!bind_address && e->code) return NULL;
    if (unix_address(address, 0, &to, &bound, e) < 0) return NULL;
    if (new_socket(args, AF_UNIX, type, &handle, e) < 0) return NULL;
    Sock *s = &table[handle];
    if (bind_address && unix_bind(s, bind_address, 1, e) < 0) return discard(handle);
    if (timeout > 0) blocking_with_timeout(s->fd, timeout, 1);
    int r;
    do r = connect(s->fd, (struct sockaddr *)&to.ss, to.len);
    while (r < 0 && errno == EINTR);
    int err = errno;
    if (timeout > 0) blocking_with_timeout(s->fd, timeout, 0);
    if (r < 0) {
        discard(handle);
        if (WOULD_BLOCK(err) && timeout > 0) return fail(e, "ETIMEDOUT", "connect: timed out after %g s", timeout);
        return fail_errno(e, err, "connect");
    }
    json_t *result = handle_and_names(handle, 1, e);
    return result ? result : discard(handle);
}

json_t *op_unix_bind(json_t *args, Error *e) {
    long handle;
    int type = unix_kind(args, e);
    json_t *address = type < 0 ? NULL : address_member(args, "address", 1, e);
    if (!address || new_socket(args, AF_UNIX, type, &handle, e) < 0) return NULL;
    if (unix_bind(&table[handle], address, 1, e) < 0) return discard(handle);
    json_t *result = handle_and_names(handle, 0, e);
    return result ? result : discard(handle);
}

json_t *op_unix_socketpair(json_t *args, Error *e) {
    int type = unix_kind(args, e), fds[2];
    if (type < 0) return NULL;
    if (socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) return fail_errno(e, errno, "socketpair");
    long a = register_socket(fds[0], AF_UNIX, type), b = register_socket(fds[1], AF_UNIX, type);
    return json_pack("{s:[I,I]}", "handles", (json_int_t)a, (json_int_t)b);
}

/* The descriptors behind `fds` (handles), for SCM_RIGHTS. */
static int handle_fds(json_t *args, int **out, size_t *count, Error *e) {
    json_t *list = json_object_get(args, "fds");
    *out = NULL, *count = 0;
    if (!list || json_is_null(list)) return 0;
    if (!json_is_array(list)) return fail(e, "BADREQUEST", "'fds' must be a list of handles"), -1;
    *count = json_array_size(list);
    *out = calloc(*count + 1, sizeof **out);
    if (!*out) abort();
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        if (!json_is_integer(item)) return free(*out), fail(e, "BADREQUEST", "'fds' must be a list of handles"), -1;
        long long h = json_integer_value(item);
        if (h <= 0 || h >= next_handle || table[h].fd < 0)
            return free(*out), fail(e, "EBADF", "fds: no open handle %lld", h), -1;
        if (table[h].server) return free(*out), supply(e, "ENOTSOCK", "fds: handle %lld is an echo server", h), -1;
        (*out)[i] = table[h].fd;
    }
    return 0;
}

json_t *op_unix_sendto(json_t *args, Error *e) {
    double timeout;
    unsigned char *data;
    size_t len, nfds;
    int *fds, bound;
    Address to;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0) return NULL;
    json_t *address = address_member(args, "address", 0, e);
    if (!address && e->code) return NULL;
    if (address && unix_address(address, 0, &to, &bound, e) < 0) return NULL;
    if (address && !bound) return fail(e, "EINVAL", "an unnamed socket is no destination");
    if (handle_fds(args, &fds, &nfds, e) < 0) return NULL;
    if (b64_arg(args, &data, &len, e) < 0) return free(fds), NULL;
    struct iovec iov = {data, len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (address) msg.msg_name = &to.ss, msg.msg_namelen = to.len;
    char *control = NULL;
    if (nfds) {
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        control = calloc(1, msg.msg_controllen);
        if (!control) abort();
        msg.msg_control = control;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    if (timeout > 0) blocking_with_timeout(s->fd, timeout, 1);
    ssize_t n;
    do n = sendmsg(s->fd, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    int err = errno;
    if (timeout > 0) blocking_with_timeout(s->fd, timeout, 0);
    free(data), free(fds), free(control);
    if (n < 0) {
        if (WOULD_BLOCK(err) && timeout > 0) return fail(e, "ETIMEDOUT", "sendmsg: timed out after %g s", timeout);
        return fail_errno(e, err, "sendmsg");
    }
    return json_pack("{s:I}", "sent", (json_int_t)n);
}

json_t *op_unix_recvfrom(json_t *args, Error *e) {
    double timeout;
    long long max, maxfds;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0 || arg_int(args, "max", 0, 1, &max, e) < 0) return NULL;
    if (arg_int(args, "maxfds", 0, 0, &maxfds, e) < 0) return NULL;
    if (max < 1) return fail(e, "BADREQUEST", "max must be >= 1");
    if (maxfds < 0) return fail(e, "BADREQUEST", "maxfds must be >= 0");
    if (maxfds > 253) maxfds = 253; /* SCM_MAX_FD */
    /* Room for exactly what was asked: the credentials when SO_PASSCRED is on (the kernel puts
     * them first), then CMSG_LEN(maxfds ints) (CMSG_SPACE's padding would hold one more): the
     * kernel passes as many descriptors as fit, closes the rest, and says MSG_CTRUNC. */
    int passcred = 0;
    socklen_t optlen = sizeof passcred;
    getsockopt(s->fd, SOL_SOCKET, SO_PASSCRED, &passcred, &optlen);
    size_t controllen = (passcred ? CMSG_SPACE(sizeof(struct ucred)) : 0) +
                        (maxfds ? CMSG_LEN((size_t)maxfds * sizeof(int)) : 0);
    unsigned char *buffer = malloc((size_t)max);
    char *control = controllen ? calloc(1, controllen) : NULL;
    if (!buffer || (controllen && !control)) abort();
    double deadline = now() + timeout;
    for (;;) {
        struct sockaddr_storage from;
        memset(&from, 0, sizeof from);
        struct iovec iov = {buffer, (size_t)max};
        struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control, .msg_controllen = controllen};
        ssize_t n = recvmsg(s->fd, &msg, MSG_CMSG_CLOEXEC);
        if (n >= 0) {
            json_t *fds = json_array(), *creds = NULL;
            for (struct cmsghdr *c = controllen ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != SOL_SOCKET) continue;
                if (c->cmsg_type == SCM_RIGHTS) {
                    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                    int *received = (int *)CMSG_DATA(c);
                    for (size_t i = 0; i < count; i++) {
                        int fd = received[i], type = 0, family = AF_UNIX;
                        socklen_t l = sizeof type;
                        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l);
                        l = sizeof family;
                        getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &l);
                        json_array_append_new(fds, json_integer(register_socket(fd, family, type)));
                    }
                } else if (c->cmsg_type == SCM_CREDENTIALS) {
                    struct ucred u;
                    memcpy(&u, CMSG_DATA(c), sizeof u);
                    creds = json_pack("{s:I, s:I, s:I}", "pid", (json_int_t)u.pid, "uid", (json_int_t)u.uid,
                                      "gid", (json_int_t)u.gid);
                }
            }
            json_t *result = json_pack("{s:o, s:o, s:b, s:o, s:b}", "data", b64_json(buffer, (size_t)n), "peer",
                                       unix_address_json(&from, msg.msg_namelen), "truncated",
                                       (msg.msg_flags & MSG_TRUNC) != 0, "fds", fds, "ctrunc",
                                       (msg.msg_flags & MSG_CTRUNC) != 0);
            if (creds) json_object_set_new(result, "creds", creds);
            free(buffer), free(control);
            return result;
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            fail_errno(e, errno, "recvmsg");
            break;
        }
        if (wait_ready(s->fd, POLLIN, timeout, deadline, "recvmsg", e) < 0) break;
    }
    free(buffer), free(control);
    return NULL;
}

json_t *op_unix_peercred(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    if (!s) return NULL;
    struct ucred u;
    socklen_t len = sizeof u;
    if (getsockopt(s->fd, SOL_SOCKET, SO_PEERCRED, &u, &len) < 0) return fail_errno(e, errno, "getsockopt SO_PEERCRED");
    if (u.pid == 0 && u.uid == (uid_t)-1) /* Linux's "no peer": pid 0 and the ids -1, no error */
        return supply(e, "ENOTCONN", "getsockopt SO_PEERCRED: no peer (pid 0, uid -1)");
    return json_pack("{s:I, s:I, s:I}", "pid", (json_int_t)u.pid, "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid);
}

json_t *op_unix_unlink(json_t *args, Error *e) {
    json_t *address = address_member(args, "address", 1, e);
    if (!address) return NULL;
    json_t *path = json_object_get(address, "path");
    if (!path) {
        Address a;
        int bound;
        if (unix_address(address, 1, &a, &bound, e) < 0) return NULL;
        return fail(e, "EINVAL", "only a pathname socket has a file to remove");
    }
    if (!json_is_string(path)) return fail(e, "BADREQUEST", "'path' must be a string");
    if (unlink(json_string_value(path)) < 0) return fail_errno(e, errno, "unlink");
    return json_object();
}
