/* Echo servers (protocol 1.2; Unix-domain kinds 1.4): serve.start, serve.stop. */
#include "adapter.h"

#include <pthread.h>
#include <sys/un.h>

/*
 * The classic C server: one thread, poll(2) over non-blocking sockets, a buffer per session
 * of what is owed to its client. It runs on a pthread of its own so that the request loop
 * keeps answering; serve.stop wakes it through a self-pipe, joins it and closes everything.
 */

#define SERVE_MAX_OWED (1 << 20)   /* stop reading a session that owes this much (back-pressure) */
#define SERVE_READ_SIZE (1 << 16)
#define SERVE_DATAGRAM_MAX 65536

typedef struct {
    int fd;
    unsigned char *owed; /* read, not yet echoed: owed[start, end) */
    size_t start, end, capacity;
    int client_done;     /* the client shut down its write side */
} Session;

struct Server {
    int type;    /* SOCK_STREAM or SOCK_DGRAM */
    char *socket_file; /* a Unix server's own socket file, unlinked when it stops (unix(7)) */
    int fd;      /* the listener, or the datagram socket */
    int wake[2]; /* self-pipe: serve.stop writes one byte, the thread returns */
    pthread_t thread;
    Session *sessions;
    size_t count, capacity;
    long accepted;
};

static size_t owed_len(const Session *s) { return s->end - s->start; }

static void session_close(Session *s) {
    close(s->fd);
    free(s->owed);
    s->fd = -1;
    s->owed = NULL;
}

/* One round of service after poll(2): read what fits, write what the client takes.
 * Returns 0 while the session goes on, -1 once it has ended (its socket closed). */
static int session_service(Session *s) {
    if (!s->client_done && owed_len(s) < SERVE_MAX_OWED) {
        size_t want = SERVE_MAX_OWED - owed_len(s);
        if (want > SERVE_READ_SIZE) want = SERVE_READ_SIZE;
        if (s->capacity - s->end < want && s->start > 0) { /* make room at the end */
            memmove(s->owed, s->owed + s->start, owed_len(s));
            s->end -= s->start;
            s->start = 0;
        }
        if (s->capacity - s->end < want) {
            size_t grown = s->capacity ? s->capacity * 2 : SERVE_READ_SIZE;
            while (grown < s->end + want) grown *= 2;
            s->owed = realloc(s->owed, grown);
            if (!s->owed) abort();
            s->capacity = grown;
        }
        ssize_t n = recv(s->fd, s->owed + s->end, want, 0);
        if (n > 0) s->end += (size_t)n;
        else if (n == 0) s->client_done = 1;
        else if (errno != EINTR && !WOULD_BLOCK(errno)) return session_close(s), -1; /* reset: this session ends */
    }
    while (owed_len(s) > 0) {
        ssize_t n = send(s->fd, s->owed + s->start, owed_len(s), MSG_NOSIGNAL);
        if (n >= 0) s->start += (size_t)n;
        else if (errno == EINTR) continue;
        else if (WOULD_BLOCK(errno)) break; /* the client is not reading: poll says when it does */
        else return session_close(s), -1;
    }
    if (owed_len(s) == 0) s->start = s->end = 0;
    if (s->client_done && owed_len(s) == 0) { /* everything echoed: our FIN, then close */
        shutdown(s->fd, SHUT_WR);
        session_close(s);
        return -1;
    }
    return 0;
}

static void server_accept(Server *sv) {
    for (;;) {
        int fd = accept4(sv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            switch (errno) {
            /* a connection that failed before it was taken (accept(2): treat like EAGAIN and retry) */
            case EINTR: case ECONNABORTED: case EPROTO: case EPERM: case ENETDOWN: case ENOPROTOOPT:
            case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
                continue;
            default: /* EAGAIN: all taken; EMFILE and the like: again at the next wake-up */
                return;
            }
        }
        if (sv->count == sv->capacity) {
            sv->capacity = sv->capacity ? sv->capacity * 2 : 64;
            sv->sessions = realloc(sv->sessions, sv->capacity * sizeof *sv->sessions);
            if (!sv->sessions) abort();
        }
        sv->sessions[sv->count++] = (Session){.fd = fd};
        sv->accepted++;
    }
}

static void *tcp_server_main(void *arg) {
    Server *sv = arg;
    struct pollfd *fds = NULL;
    size_t fds_capacity = 0;
    for (;;) {
        size_t n = sv->count + 2;
        if (fds_capacity < n) {
            fds_capacity = n * 2;
            fds = realloc(fds, fds_capacity * sizeof *fds);
            if (!fds) abort();
        }
        fds[0] = (struct pollfd){sv->wake[0], POLLIN, 0};
        fds[1] = (struct pollfd){sv->fd, POLLIN, 0};
        for (size_t i = 0; i < sv->count; i++) {
            Session *s = &sv->sessions[i];
            short events = 0;
            if (!s->client_done && owed_len(s) < SERVE_MAX_OWED) events |= POLLIN; /* else: back-pressure */
            if (owed_len(s) > 0) events |= POLLOUT;
            fds[i + 2] = (struct pollfd){s->fd, events, 0};
        }
        if (poll(fds, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            perror("sockspec-c: echo server: poll");
            break;
        }
        if (fds[0].revents) break; /* serve.stop */
        size_t kept = 0, count = sv->count;
        for (size_t i = 0; i < count; i++) {
            if (fds[i + 2].revents && session_service(&sv->sessions[i]) < 0) continue; /* ended */
            sv->sessions[kept++] = sv->sessions[i];
        }
        sv->count = kept;
        if (fds[1].revents) server_accept(sv);
    }
    free(fds);
    return NULL;
}

static void *udp_server_main(void *arg) {
    Server *sv = arg;
    unsigned char *buffer = malloc(SERVE_DATAGRAM_MAX);
    if (!buffer) abort();
    struct pollfd fds[2] = {{sv->wake[0], POLLIN, 0}, {sv->fd, POLLIN, 0}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            perror("sockspec-c: echo server: poll");
            break;
        }
        if (fds[0].revents) break; /* serve.stop */
        for (;;) { /* every datagram that has arrived, each back to its sender */
            struct sockaddr_storage from;
            socklen_t from_len = sizeof from;
            ssize_t n = recvfrom(sv->fd, buffer, SERVE_DATAGRAM_MAX, 0, (struct sockaddr *)&from, &from_len);
            if (n < 0) {
                if (errno == EINTR) continue;
                break; /* EAGAIN: all taken */
            }
            while (sendto(sv->fd, buffer, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&from, from_len) < 0) {
                if (errno == EINTR) continue;
                if (!WOULD_BLOCK(errno)) break; /* a peer that is gone is not the server's problem */
                struct pollfd out[2] = {{sv->wake[0], POLLIN, 0}, {sv->fd, POLLOUT, 0}};
                if (poll(out, 2, -1) < 0 && errno != EINTR) break;
                if (out[0].revents) goto stopped;
            }
        }
    }
stopped:
    free(buffer);
    return NULL;
}

void server_stop(Server *sv, long *sessions) {
    char byte = 1;
    while (write(sv->wake[1], &byte, 1) < 0 && errno == EINTR) {}
    pthread_join(sv->thread, NULL);
    for (size_t i = 0; i < sv->count; i++) session_close(&sv->sessions[i]);
    close(sv->fd);
    close(sv->wake[0]);
    close(sv->wake[1]);
    if (sessions) *sessions = sv->accepted;
    if (sv->socket_file) unlink(sv->socket_file); /* what a careful C server does on its way out */
    free(sv->socket_file);
    free(sv->sessions);
    free(sv);
}

json_t *op_serve_start(json_t *args, Error *e) {
    int family, on = 1;
    long long backlog;
    Address at;
    const char *kind = arg_str(args, "kind", e);
    if (!kind) return NULL;
    int unix_kind = strcmp(kind, "unix") == 0 || strcmp(kind, "unixgram") == 0;
    int type = strcmp(kind, "tcp") == 0 || strcmp(kind, "unix") == 0 ? SOCK_STREAM
             : strcmp(kind, "udp") == 0 || strcmp(kind, "unixgram") == 0 ? SOCK_DGRAM : -1;
    if (type < 0) return fail(e, "BADREQUEST", "kind is 'tcp', 'udp', 'unix' or 'unixgram'");
    if (arg_int(args, "backlog", 1024, 0, &backlog, e) < 0) return NULL;
    if (unix_kind) {
        family = AF_UNIX;
        if (unix_server_address(json_object_get(args, "address"), &at, e) < 0) return NULL;
    } else if (arg_family(args, &family, e) < 0 || address_arg(args, family, &at, e) < 0) {
        return NULL;
    }
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail_errno(e, errno, "socket");
    /* What C servers do before bind: a restarted server must not wait out TIME-WAIT. */
    if (!unix_kind && type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
        return close(fd), fail_errno(e, errno, "setsockopt SO_REUSEADDR");
    if (bind(fd, (struct sockaddr *)&at.ss, at.len) < 0) {
        int err = errno;
        close(fd);
        return fail_errno(e, err, "bind");
    }
    if (type == SOCK_STREAM && listen(fd, (int)backlog) < 0) {
        int err = errno;
        close(fd);
        return fail_errno(e, err, "listen");
    }
    json_t *local = name_json(fd, 0, e);
    if (!local) return close(fd), NULL;
    Server *sv = calloc(1, sizeof *sv);
    if (!sv) abort();
    sv->type = type;
    sv->fd = fd;
    if (pipe2(sv->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        int err = errno;
        close(fd), free(sv), json_decref(local);
        return fail_errno(e, err, "pipe2");
    }
    int err = pthread_create(&sv->thread, NULL, type == SOCK_STREAM ? tcp_server_main : udp_server_main, sv);
    if (err) {
        close(fd), close(sv->wake[0]), close(sv->wake[1]), free(sv), json_decref(local);
        return fail_errno(e, err, "pthread_create");
    }
    const struct sockaddr_un *un = (const struct sockaddr_un *)&at.ss;
    if (unix_kind && un->sun_path[0] != '\0') sv->socket_file = strdup(un->sun_path); /* not abstract */
    long handle = register_socket(fd, family, type);
    table[handle].server = sv;
    return json_pack("{s:I, s:o}", "handle", (json_int_t)handle, "local", local);
}

json_t *op_serve_stop(json_t *args, Error *e) {
    long handle, sessions = 0;
    Sock *s = arg_handle(args, &handle, e);
    if (!s) return NULL;
    if (!s->server) return supply(e, "EBADF", "handle %ld is a socket, not an echo server", handle);
    int type = s->server->type;
    close_handle(s, &sessions);
    return type == SOCK_STREAM ? json_pack("{s:I}", "sessions", (json_int_t)sessions) : json_object();
}
