/* What the libuv adapter's files share: the loop, handles, addresses, waiting, operations. */
#ifndef SOCKSPEC_LIBUV_ADAPTER_H
#define SOCKSPEC_LIBUV_ADAPTER_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "proto.h"

extern uv_loop_t *loop; /* main.c: the one loop every handle and echo server runs on */

/* ---- handles.c ------------------------------------------------------------------------- */

typedef enum { K_TCP, K_UDP, K_PIPE, K_SERVER } Kind;

typedef struct Server Server; /* serve.c */

/* One handle of the protocol: a libuv handle and what the blocking protocol keeps about it.
 * Freed in its uv_close callback (libuv owns the memory until then). */
typedef struct Entry {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
        uv_udp_t udp;
    } u;
    Kind kind;
    long id;
    int family;    /* AF_INET, AF_INET6, AF_UNIX */
    int listening; /* uv_listen succeeded */
    int closing;
    /* an on-demand read (stream.recv, udp.recvfrom): one callback, then stopped again */
    char *rbuf;
    size_t rmax;
    int rdone;
    ssize_t rresult;
    unsigned rflags;
    struct sockaddr_storage rfrom;
    int rfrom_set;
    /* a listener: connections libuv announced (connection_cb) and not yet taken */
    int pending;
    int accept_error;
    /* a connect in flight */
    uv_connect_t creq;
    int cdone, cstatus;
    /* writes libuv queued (uv_write, uv_udp_send) whose callbacks have not run */
    int writes_pending;
    int write_error;
    /* stream.shutdown */
    uv_shutdown_t sreq;
    int sdone, sstatus;
    Server *server; /* K_SERVER */
} Entry;

Entry *entry_new(Kind kind, int family);
long entry_register(Entry *en);
void entry_close(Entry *en);          /* uv_close (servers: stop), frees in the callback */
void entry_discard(Entry *en);        /* a handle made for a request that failed */
void close_all(void);
void entry_forget(Entry *en);             /* out of the table (the handle stays invalid) */
void entry_on_closed(uv_handle_t *h);     /* uv_close callback: frees the entry */
Entry *arg_entry(json_t *args, Error *e);  /* any open handle */
Entry *arg_socket(json_t *args, Error *e); /* an open socket (not an echo server) */
json_t *discard_with(Entry *en, Error *e, int err, const char *context);

/* Waiting: run the loop until *flag is set or timeout seconds passed (0: one turn, NOWAIT).
 * Returns 1 if the flag was set. */
int run_until(int *flag, double timeout);
int run_until_zero(int *counter, double timeout);
void close_timer(void);
void loop_turn(void);

/* ---- address.c ------------------------------------------------------------------------- */

int make_address(int family, const char *host, long long port, struct sockaddr_storage *ss, Error *e);
int address_arg(json_t *args, int family, struct sockaddr_storage *ss, Error *e);
json_t *address_json(const struct sockaddr *sa);
json_t *entry_name(Entry *en, int peer, Error *e);
json_t *pipe_name(uv_pipe_t *pipe, int peer, Error *e);
const char *address_path(json_t *args, const char *member, int for_peer, Error *e); /* unix.c */

/* ---- options.c ------------------------------------------------------------------------- */

/* Options given at creation: applied after init, before bind; returns uv_*_bind flags
 * (UV_TCP_IPV6ONLY, UV_UDP_IPV6ONLY, UV_UDP_REUSEADDR) in *bind_flags. */
int apply_options(Entry *en, json_t *args, unsigned *bind_flags, Error *e);
void append_option_features(json_t *features);

/* ---- multicast.c ----------------------------------------------------------------------- */

int is_multicast_option(const char *name);
void append_multicast_features(json_t *features);                          /* multicast, opt.multicast_* */
int multicast_set(Entry *en, const char *name, json_t *value, Error *e);   /* opt.set */
json_t *multicast_get(Entry *en, const char *name, Error *e);               /* opt.get */

/* ---- stream.c -------------------------------------------------------------------------- */

json_t *stream_connection_json(Entry *en, Error *e);
void on_connection(uv_stream_t *server, int status);
json_t *stream_accept(Entry *listener, Entry *conn, double timeout, Error *e);
int read_buffer(Entry *en, long long max);                     /* for one on-demand read */
json_t *finish_connect(Entry *en, double timeout, Error *e);   /* tcp.c: TCP and pipes */

/* ---- serve.c --------------------------------------------------------------------------- */

void server_stop(Server *sv, long *sessions);

/* ---- operations: json_t *op_NAME(args, e) → a result, or NULL with *e set ---------------- */

#define OPERATION(name) json_t *name(json_t *args, Error *e)
OPERATION(op_reset);        OPERATION(op_close);                                   /* handles.c */
OPERATION(op_addr_local);   OPERATION(op_addr_peer);                               /* address.c */
OPERATION(op_opt_set);      OPERATION(op_opt_get);                                 /* options.c */
OPERATION(op_tcp_listen);   OPERATION(op_tcp_socket);   OPERATION(op_tcp_connect); /* tcp.c */
OPERATION(op_tcp_accept);
OPERATION(op_stream_send);  OPERATION(op_stream_recv);                             /* stream.c */
OPERATION(op_stream_shutdown); OPERATION(op_stream_abort);
OPERATION(op_udp_bind);     OPERATION(op_udp_connect);  OPERATION(op_udp_sendto); /* udp.c */
OPERATION(op_udp_recvfrom); OPERATION(op_udp_disconnect);
OPERATION(op_serve_start);  OPERATION(op_serve_stop);                              /* serve.c */
OPERATION(op_unix_listen);  OPERATION(op_unix_accept);  OPERATION(op_unix_connect); /* unix.c */
OPERATION(op_unix_socketpair); OPERATION(op_unix_unlink);
OPERATION(op_udp_join);     OPERATION(op_udp_leave);                               /* multicast.c */
#undef OPERATION

#endif
