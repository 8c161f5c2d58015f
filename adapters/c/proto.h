/* The protocol's side: errors, arguments, base64 data, responses (docs/protocol.md §2). */
#ifndef SOCKSPEC_PROTO_H
#define SOCKSPEC_PROTO_H

#include <jansson.h>
#include <stddef.h>

#define PROTOCOL_VERSION "1.8"
#define DEFAULT_TIMEOUT 5.0

/* A failed request: the protocol's code (an errno name, UNSUPPORTED, BADREQUEST) and text. */
typedef struct {
    const char *code;
    char message[256];
    int supplied; /* the adapter chose the name: the system reported no errno (§2.2, 1.3) */
} Error;

/* errors.c: each sets *e and returns NULL, so that `return fail(...)` ends an operation. */
json_t *fail(Error *e, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
json_t *fail_errno(Error *e, int err, const char *context);
/* An errno name the adapter chose itself (answered with "supplied": true). */
json_t *supply(Error *e, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *errno_name(int err);

/* proto.c: arguments; each returns 0 (or the value) on success, -1 (or NULL) with *e set. */
int arg_int(json_t *args, const char *name, long long fallback, int required, long long *out, Error *e);
const char *arg_str(json_t *args, const char *name, Error *e);
int arg_timeout(json_t *args, double *out, Error *e);
int arg_family(json_t *args, int *family, Error *e);

/* proto.c: base64 data (strict RFC 4648 §4 both ways); b64_arg's *out is the caller's to free. */
json_t *b64_json(const unsigned char *data, size_t len);
int b64_arg(json_t *args, unsigned char **out, size_t *len, Error *e);

/* proto.c: a response for a result (taken) or the error, and writing it as one line. */
json_t *make_response(json_t *id, json_t *result, const Error *e);
void write_response(json_t *response);

#endif
