/*
 * unix_dgram.c: the native half of @mi-datagram/transport-unix.
 *
 * A deliberately small Node-API addon (node_api.h + libuv uv_poll) that gives
 * JavaScript AF_UNIX SOCK_DGRAM sockets: create, adopt an inherited
 * descriptor, bind (filesystem path or Linux abstract name), connect (to
 * probe a socket file, or to fix a client's peer), send with MSG_DONTWAIT,
 * and receive in batches with the sender's address and a truncation flag,
 * copied into a fresh ArrayBuffer or handed over in place.
 *
 * Rules kept throughout:
 *  - caller input is validated and answered with a thrown TypeError/Error,
 *    never with assert()/abort();
 *  - every descriptor is nonblocking and close-on-exec;
 *  - close is idempotent and also happens on env teardown (cleanup hook) and
 *    when the JS wrapper is garbage-collected without close().
 */
#define _GNU_SOURCE
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

/* One receive slot. Larger than the protocol maximum (65457 bytes) so that a
 * 65457-byte datagram is whole; anything longer is flagged truncated (the real
 * length comes back because MSG_TRUNC is passed in the flags). */
#define SLOT_SIZE 65536
/* Upper bound for the JS-configurable batch size (datagrams per recvmmsg and
 * per call into JavaScript). */
#define MAX_BATCH 64
/* recvmmsg rounds per poll wakeup: bounds the work one wakeup can do, so a
 * flooded socket cannot starve the rest of the event loop (uv_poll is
 * level-triggered: whatever is left wakes us again on the next iteration). */
#define ROUNDS_PER_WAKEUP 4

#define SUN_PATH_MAX ((int)sizeof(((struct sockaddr_un *)0)->sun_path))

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

#define NAPI_CALL(env, call)                                                   \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      return throw_napi_failure(env, #call);                                   \
    }                                                                          \
  } while (0)

static napi_value throw_napi_failure(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    const napi_extended_error_info *info = NULL;
    napi_get_last_error_info(env, &info);
    char msg[256];
    snprintf(msg, sizeof msg, "unix_dgram: N-API call failed: %s (%s)", what,
             info && info->error_message ? info->error_message : "unknown");
    napi_throw_error(env, "ERR_NAPI", msg);
  }
  return NULL;
}

/* Throws an Error carrying { errno: 'EXXX', syscall } for a failed syscall. */
static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  char msg[160];
  const char *name = uv_err_name(-err);
  snprintf(msg, sizeof msg, "%s failed: %s (%s)", syscall, strerror(err), name);
  napi_value message, error, v;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, NULL, message, &error) != napi_ok) {
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property(env, error, "errno", v);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property(env, error, "syscall", v);
  napi_throw(env, error);
  return NULL;
}

static napi_value make_int(napi_env env, int64_t n) {
  napi_value v = NULL;
  napi_create_int64(env, n, &v);
  return v;
}

static napi_value make_undefined(napi_env env) {
  napi_value v = NULL;
  napi_get_undefined(env, &v);
  return v;
}

/* Sender addresses are bytes, JS strings are UTF-16. A path that is valid
 * UTF-8 becomes the string it spells; every byte that is not part of valid
 * UTF-8 becomes the lone surrogate U+DC80 + (byte - 0x80) ("surrogateescape",
 * PEP 383), which valid UTF-8 never produces. The mapping is one-to-one, so
 * two different senders are never the same string, and a string received
 * from here is encoded back to the very same bytes. */

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if none. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp) {
  unsigned char c = p[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v, min;
  if (c >= 0xC2 && c <= 0xDF) len = 2, v = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, v = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, v = c & 0x07, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

/* bytes -> JS string (see above). */
static napi_value bytes_to_string(napi_env env, const char *bytes, size_t n) {
  napi_value v = NULL;
  const unsigned char *p = (const unsigned char *)bytes;
  size_t i = 0;
  uint32_t cp;
  /* the common case: valid UTF-8, no escaping needed */
  while (i < n) {
    size_t l = utf8_seq(p + i, n - i, &cp);
    if (l == 0) break;
    i += l;
  }
  if (i == n) {
    napi_create_string_utf8(env, bytes, n, &v);
    return v;
  }
  char16_t out[2 * 108 + 2];
  size_t o = 0;
  for (i = 0; i < n && o + 2 <= sizeof out / sizeof out[0];) {
    size_t l = utf8_seq(p + i, n - i, &cp);
    if (l == 0) {
      out[o++] = (char16_t)(0xDC00 + p[i]);
      i++;
      continue;
    }
    i += l;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out[o++] = (char16_t)(0xD800 + (cp >> 10));
      out[o++] = (char16_t)(0xDC00 + (cp & 0x3FF));
    } else {
      out[o++] = (char16_t)cp;
    }
  }
  napi_create_string_utf16(env, out, o, &v);
  return v;
}

/* JS string -> bytes (the inverse of bytes_to_string). Returns the byte
 * count, or (size_t)-1 when it does not fit in `size` bytes. */
static size_t string_to_bytes(const char16_t *in, size_t n, char *buf, size_t size) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = in[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && in[i + 1] >= 0xDC00 && in[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (in[i + 1] - 0xDC00);
      i++;
    } else if (c >= 0xDC80 && c <= 0xDCFF) {
      if (o + 1 > size) return (size_t)-1;
      buf[o++] = (char)(c - 0xDC00);
      continue;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD; /* any other lone surrogate: as V8 would encode it */
    }
    size_t l = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (o + l > size) return (size_t)-1;
    unsigned char *q = (unsigned char *)buf + o;
    if (l == 1) q[0] = (unsigned char)c;
    else if (l == 2) q[0] = 0xC0 | (c >> 6), q[1] = 0x80 | (c & 0x3F);
    else if (l == 3)
      q[0] = 0xE0 | (c >> 12), q[1] = 0x80 | ((c >> 6) & 0x3F), q[2] = 0x80 | (c & 0x3F);
    else
      q[0] = 0xF0 | (c >> 18), q[1] = 0x80 | ((c >> 12) & 0x3F), q[2] = 0x80 | ((c >> 6) & 0x3F),
      q[3] = 0x80 | (c & 0x3F);
    o += l;
  }
  return o;
}

/* Reads a JS string into a sockaddr_un. A leading NUL means a Linux abstract
 * name whose address length is exact (every byte counts, no terminator). A
 * file path may use all 108 bytes of sun_path: the kernel accepts a path
 * without its terminating NUL when the address length says so (a sender bound
 * like that must be answerable). Returns the address length, or 0 after
 * throwing a TypeError. */
static socklen_t to_sockaddr(napi_env env, napi_value value, struct sockaddr_un *sa) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok || t != napi_string) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "socket path must be a string");
    return 0;
  }
  /* Buffer one byte larger than sun_path so overlong input is detected. */
  char buf[sizeof(sa->sun_path) + 2];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, buf, sizeof buf, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "socket path must be a string");
    return 0;
  }
  /* U+FFFD (EF BF BD) in the result may be an escaped byte or a lone
   * surrogate that V8 replaced: read the UTF-16 and encode it ourselves.
   * Likewise when the output was cut (overlong input). */
  if (len >= sizeof buf - 1 || memmem(buf, len, "\xEF\xBF\xBD", 3) != NULL) {
    char16_t u[sizeof buf];
    size_t ulen = 0;
    if (napi_get_value_string_utf16(env, value, u, sizeof u / sizeof u[0], &ulen) != napi_ok) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "socket path could not be read");
      return 0;
    }
    len = ulen >= sizeof u / sizeof u[0] - 1 ? (size_t)-1 : string_to_bytes(u, ulen, buf, sizeof buf);
    if (len == (size_t)-1) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "socket path too long for sun_path");
      return 0;
    }
  }
  if (len == 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "socket path must not be empty");
    return 0;
  }
  if (len > (size_t)SUN_PATH_MAX) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "socket path too long for sun_path");
    return 0;
  }
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  memcpy(sa->sun_path, buf, len);
  if (buf[0] == '\0') return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  /* A filesystem path must not contain NUL bytes itself. */
  if (memchr(buf, '\0', len) != NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "socket path contains a NUL byte");
    return 0;
  }
  if (len == (size_t)SUN_PATH_MAX) return (socklen_t)sizeof *sa;
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

/* An IPv4/IPv6 sender as "<port> <address>" (e.g. "40123 127.0.0.1"), or
 * null when the kernel gave no usable address. */
static napi_value from_inet(napi_env env, const struct sockaddr_un *sa, socklen_t salen) {
  napi_value v = NULL;
  char text[INET6_ADDRSTRLEN + 8];
  int n = -1;
  if (sa->sun_family == AF_INET && salen >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in in;
    memcpy(&in, sa, sizeof in);
    n = snprintf(text, sizeof text, "%u ", (unsigned)ntohs(in.sin_port));
    if (!inet_ntop(AF_INET, &in.sin_addr, text + n, (socklen_t)(sizeof text - (size_t)n))) n = -1;
  } else if (sa->sun_family == AF_INET6 && salen >= (socklen_t)sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 in6;
    memcpy(&in6, sa, sizeof in6);
    n = snprintf(text, sizeof text, "%u ", (unsigned)ntohs(in6.sin6_port));
    if (!inet_ntop(AF_INET6, &in6.sin6_addr, text + n, (socklen_t)(sizeof text - (size_t)n)))
      n = -1;
  }
  if (n < 0) napi_get_null(env, &v);
  else napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &v);
  return v;
}

/* Converts a received/queried address into a JS value: the path string, an
 * abstract name as a string starting with '\0', or null for an unnamed
 * (unbound) socket. The kernel reports one byte more than sockaddr_un for a
 * path of all 108 bytes (it counts a terminator that does not fit). */
static napi_value from_sockaddr(napi_env env, const struct sockaddr_un *sa, socklen_t salen) {
  napi_value v = NULL;
  size_t off = offsetof(struct sockaddr_un, sun_path);
  if (sa->sun_family == AF_INET || sa->sun_family == AF_INET6) return from_inet(env, sa, salen);
  if (salen <= off || sa->sun_family != AF_UNIX) {
    napi_get_null(env, &v);
    return v;
  }
  size_t n = (size_t)salen - off;
  if (n > sizeof(sa->sun_path)) n = sizeof(sa->sun_path);
  if (sa->sun_path[0] != '\0') n = strnlen(sa->sun_path, n);
  return bytes_to_string(env, sa->sun_path, n);
}

static int get_int_arg(napi_env env, napi_value v, const char *what, int64_t min, int64_t max,
                       int64_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number ||
      napi_get_value_double(env, v, &d) != napi_ok || d != d || d < (double)min ||
      d > (double)max || (double)(int64_t)d != d) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an integer between %lld and %lld", what,
             (long long)min, (long long)max);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

/* ------------------------------------------------------------------ */
/* per-env receive arena                                               */
/* ------------------------------------------------------------------ */

/* All sockets of one env (one JS thread, one event loop) share one set of
 * receive slots: callbacks of one loop never nest, so memory does not grow
 * with the number of sockets. The slots are the memory of one ArrayBuffer
 * (created on the first poll(), held by a strong reference for the env's
 * life): a copying socket copies each batch into a fresh ArrayBuffer of its
 * own, an in-place socket hands JS views of the slots themselves (valid until
 * its callback returns). The meta area after the slots holds, for in-place
 * batches, two int32 per datagram (bytes present, flags), then the creds
 * area two int32 per datagram (sender uid, sender gid; -1 when the kernel
 * gave no credentials). */
#define ARENA_META_OFFSET ((size_t)MAX_BATCH * SLOT_SIZE)
#define ARENA_CREDS_OFFSET (ARENA_META_OFFSET + (size_t)MAX_BATCH * 8)
#define ARENA_BYTES (ARENA_CREDS_OFFSET + (size_t)MAX_BATCH * 8)
#define CMSG_BYTES CMSG_SPACE(sizeof(struct ucred))

typedef struct {
  unsigned char *slots; /* the ArrayBuffer's memory, NULL until the first poll() */
  napi_ref buffer;      /* that ArrayBuffer */
  int exposed;          /* handed to JS by an in-place socket (only then can JS detach it) */
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_un addrs[MAX_BATCH];
  /* SCM_CREDENTIALS of each datagram (SO_PASSCRED is on while polling) */
  union {
    char buf[CMSG_BYTES];
    struct cmsghdr align;
  } ctl[MAX_BATCH];
} arena_t;

static void arena_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  /* The slots belong to the ArrayBuffer, which the env frees with its heap;
   * the reference goes with the env's other references. */
  free(data);
}

/* The arena with usable slots, creating its ArrayBuffer on first use, or NULL
 * when out of memory. JS can detach an ArrayBuffer it holds a view of (a
 * transfer to a worker, say), and the slots must never be written to after
 * that: a detached buffer is replaced by a new one. Called from poll() and
 * from the poll callback (N-API calls are allowed in both). */
static arena_t *get_arena(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok || data == NULL) return NULL;
  arena_t *a = data;
  /* A buffer JS never saw cannot have been detached: no N-API call on the
   * copying sockets' path. */
  if (a->slots && !a->exposed) return a;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return NULL;
  napi_value ab = NULL;
  bool detached = false;
  if (a->slots && (napi_get_reference_value(env, a->buffer, &ab) != napi_ok || ab == NULL ||
                   napi_is_detached_arraybuffer(env, ab, &detached) != napi_ok || detached)) {
    a->slots = NULL;
    a->exposed = 0;
    napi_delete_reference(env, a->buffer);
    a->buffer = NULL;
  }
  if (!a->slots) {
    void *mem = NULL;
    if (napi_create_arraybuffer(env, ARENA_BYTES, &mem, &ab) == napi_ok && mem != NULL &&
        napi_create_reference(env, ab, 1, &a->buffer) == napi_ok)
      a->slots = mem;
  }
  napi_close_handle_scope(env, scope);
  return a->slots ? a : NULL;
}

/* ------------------------------------------------------------------ */
/* descriptors owned by socket objects (all threads of the process)    */
/* ------------------------------------------------------------------ */

/* Adopting a descriptor that a socket object of this process already owns
 * would close it twice (the second close hits whatever reuses the number):
 * such an adoption is refused. Creation + marking and closing + unmarking
 * happen under the lock, so a number is never marked for a closed fd. */
static uv_once_t owned_once = UV_ONCE_INIT;
static uv_mutex_t owned_lock;
static unsigned char *owned_bits;
static size_t owned_size; /* bytes */

static void owned_init(void) { uv_mutex_init(&owned_lock); }

static void owned_lock_acquire(void) {
  uv_once(&owned_once, owned_init);
  uv_mutex_lock(&owned_lock);
}

static int owned_test(int fd) {
  size_t i = (size_t)fd / 8;
  return i < owned_size && (owned_bits[i] & (1u << (fd % 8))) != 0;
}

/* 0 on success, -1 when out of memory. Call with the lock held. */
static int owned_set(int fd, int on) {
  size_t i = (size_t)fd / 8;
  if (i >= owned_size) {
    if (!on) return 0;
    size_t n = owned_size ? owned_size : 64;
    while (n <= i) n *= 2;
    unsigned char *b = realloc(owned_bits, n);
    if (!b) return -1;
    memset(b + owned_size, 0, n - owned_size);
    owned_bits = b;
    owned_size = n;
  }
  if (on) owned_bits[i] |= (unsigned char)(1u << (fd % 8));
  else owned_bits[i] &= (unsigned char)~(1u << (fd % 8));
  return 0;
}

/* ------------------------------------------------------------------ */
/* the socket object                                                   */
/* ------------------------------------------------------------------ */

typedef struct sock_s sock_t;

typedef struct {
  uv_poll_t handle;
  sock_t *owner; /* NULL once the socket let go of it */
  int closing;   /* uv_close() requested */
  /* Keeps the env (and this addon's code) alive until the close callback has
   * run: a worker thread's env must not go away with the handle still open. */
  napi_async_cleanup_hook_handle hook;
} poller_t;

struct sock_s {
  napi_env env;
  int fd;           /* -1 once closed */
  int batch;        /* datagrams per recvmmsg / per JS call */
  int max_len;      /* longer datagrams are cut to this and flagged truncated */
  int hooked;       /* env cleanup hook registered */
  int refed;        /* poll handle keeps the loop alive */
  int in_place;     /* JS gets views of the arena, valid during the callback only */
  int domain;       /* AF_UNIX, or AF_INET/AF_INET6 for a duplicated UDP descriptor */
  socklen_t last_len; /* sender of the last datagram delivered (0: none yet) */
  struct sockaddr_un last_addr;
  uint32_t last_uid; /* ... and its credentials */
  uint32_t last_gid;
  poller_t *poller; /* NULL unless receiving */
  napi_ref wrapper; /* strong while polling, so the callback target lives */
  napi_ref callback;
  /* The async context poll() was called in: every batch runs in it (so
   * AsyncLocalStorage sees the context the socket started receiving in),
   * with the wrapper as its resource and the callback's receiver. */
  napi_async_context async_ctx;
};

static void poller_closed(uv_handle_t *h) {
  poller_t *p = h->data;
  /* The last thing this addon does for the handle: after this, the env may
   * finish its teardown (and unload us). */
  if (p->hook) napi_remove_async_cleanup_hook(p->hook);
  free(p);
}

static void poller_close(poller_t *p) {
  p->owner = NULL;
  if (p->closing) return;
  p->closing = 1;
  uv_poll_stop(&p->handle);
  p->handle.data = p;
  uv_close((uv_handle_t *)&p->handle, poller_closed);
}

/* Async env cleanup hook (worker thread ending, process exit): starts the
 * handle's close; poller_closed() says when it is done. */
static void poller_async_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  poller_t *p = arg;
  if (p->owner) p->owner->poller = NULL;
  poller_close(p);
}

/* Stops polling and closes the descriptor. Safe to call any number of times,
 * from close(), the env cleanup hook and the finalizer. `use_napi` is 0 when
 * called from a context where N-API calls are not allowed. */
static void sock_shutdown(sock_t *s, int use_napi) {
  if (s->poller) {
    poller_t *p = s->poller;
    s->poller = NULL;
    poller_close(p);
  }
  if (s->fd >= 0) {
    int fd = s->fd;
    s->fd = -1;
    /* Linux always releases the descriptor, even when close() reports EINTR:
     * never retry (that could close a descriptor reused by another thread). */
    owned_lock_acquire();
    close(fd);
    owned_set(fd, 0);
    uv_mutex_unlock(&owned_lock);
  }
  if (use_napi) {
    if (s->async_ctx) {
      napi_async_destroy(s->env, s->async_ctx);
      s->async_ctx = NULL;
    }
    if (s->callback) {
      napi_delete_reference(s->env, s->callback);
      s->callback = NULL;
    }
    if (s->wrapper) {
      napi_delete_reference(s->env, s->wrapper);
      s->wrapper = NULL;
    }
  }
}

/* Env teardown (process exit, worker thread end): runs before the env's
 * references are torn down, so it may still release ours. */
static void sock_cleanup_hook(void *arg) {
  sock_t *s = arg;
  s->hooked = 0;
  sock_shutdown(s, 1);
}

static void sock_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  sock_t *s = data;
  if (s->hooked) {
    napi_remove_env_cleanup_hook(env, sock_cleanup_hook, s);
    s->hooked = 0;
  }
  /* References are only held while polling, and then the strong wrapper
   * reference keeps this object from being collected; at env teardown the
   * cleanup hook released them already. Never touch them here: the env may
   * have freed them during its own teardown. */
  sock_shutdown(s, 0);
  free(s);
}

static sock_t *unwrap_this(napi_env env, napi_callback_info info, size_t *argc,
                           napi_value *argv, napi_value *self) {
  napi_value me;
  if (napi_get_cb_info(env, info, argc, argv, &me, NULL) != napi_ok) {
    throw_napi_failure(env, "napi_get_cb_info");
    return NULL;
  }
  sock_t *s = NULL;
  if (napi_unwrap(env, me, (void **)&s) != napi_ok || s == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_THIS", "not a UnixDatagramSocket");
    return NULL;
  }
  if (self) *self = me;
  return s;
}

static sock_t *unwrap_open(napi_env env, napi_callback_info info, size_t *argc,
                           napi_value *argv, napi_value *self) {
  sock_t *s = unwrap_this(env, info, argc, argv, self);
  if (s && s->fd < 0) {
    napi_throw_error(env, "ERR_SOCKET_CLOSED", "socket is closed");
    return NULL;
  }
  return s;
}

/* new UnixDatagramSocket()      -> a fresh unbound socket
 * new UnixDatagramSocket(fd)    -> adopts fd (must be AF_UNIX SOCK_DGRAM) */
/* Throws the errno of a failed fcntl, closing our duplicate `fd` (if >= 0). */
static napi_value dup_failed(napi_env env, int fd) {
  int err = errno;
  if (fd >= 0) {
    owned_lock_acquire();
    close(fd);
    owned_set(fd, 0);
    uv_mutex_unlock(&owned_lock);
  }
  return throw_errno(env, err, "fcntl");
}

static napi_value sock_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, self, target;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  NAPI_CALL(env, napi_get_new_target(env, info, &target));
  if (target == NULL) {
    napi_throw_type_error(env, "ERR_CONSTRUCT_CALL_REQUIRED", "use new UnixDatagramSocket()");
    return NULL;
  }
  int fd;
  int domain = AF_UNIX;
  bool duplicate = false;
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (argc >= 2) {
    napi_valuetype dt = napi_undefined;
    napi_typeof(env, argv[1], &dt);
    if (dt != napi_undefined &&
        (dt != napi_boolean || napi_get_value_bool(env, argv[1], &duplicate) != napi_ok)) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "duplicate must be a boolean");
      return NULL;
    }
  }
  if (t == napi_undefined) {
    owned_lock_acquire();
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err = errno;
    if (fd >= 0 && owned_set(fd, 1) < 0) {
      close(fd);
      fd = -1;
      err = ENOMEM;
    }
    uv_mutex_unlock(&owned_lock);
    if (fd < 0) return throw_errno(env, err, "socket");
  } else {
    int64_t n;
    if (!get_int_arg(env, argv[0], "fd", 0, INT32_MAX, &n)) return NULL;
    fd = (int)n;
    int type = 0;
    domain = 0;
    socklen_t l1 = sizeof domain, l2 = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l2) < 0) {
      int err = errno;
      if (err == ENOTSOCK || err == EBADF) {
        napi_throw_error(env, "NOT_DATAGRAM_SOCKET",
                         err == EBADF ? "descriptor is not open" : "descriptor is not a socket");
        return NULL;
      }
      return throw_errno(env, err, "getsockopt(SO_TYPE)");
    }
#ifdef SO_DOMAIN
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l1) < 0)
      return throw_errno(env, errno, "getsockopt(SO_DOMAIN)");
#else
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    (void)l1;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
      return throw_errno(env, errno, "getsockname");
    domain = ss.ss_family;
#endif
    /* A duplicate may also be of a UDP socket (IPv4/IPv6) that node:dgram
     * keeps owning: this object gets its own descriptor for the same socket. */
    int inet = duplicate && (domain == AF_INET || domain == AF_INET6);
    if ((domain != AF_UNIX && !inet) || type != SOCK_DGRAM) {
      napi_throw_error(env, "NOT_DATAGRAM_SOCKET",
                       duplicate ? "descriptor is not an AF_UNIX, AF_INET or AF_INET6 SOCK_DGRAM socket"
                                 : "descriptor is not an AF_UNIX SOCK_DGRAM socket");
      return NULL;
    }
    if (duplicate) {
      owned_lock_acquire();
      int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      int err = errno;
      if (copy >= 0 && owned_set(copy, 1) < 0) {
        close(copy);
        copy = -1;
        err = ENOMEM;
      }
      uv_mutex_unlock(&owned_lock);
      if (copy < 0) return throw_errno(env, err, "fcntl(F_DUPFD_CLOEXEC)");
      fd = copy;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return dup_failed(env, duplicate ? fd : -1);
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0) return dup_failed(env, duplicate ? fd : -1);
  }
  if (t != napi_undefined && !duplicate) {
    owned_lock_acquire();
    int taken = owned_test(fd);
    int failed = !taken && owned_set(fd, 1) < 0;
    uv_mutex_unlock(&owned_lock);
    if (taken) {
      napi_throw_error(env, "FD_ALREADY_OWNED",
                       "descriptor is already owned by another socket of this process");
      return NULL;
    }
    if (failed) {
      napi_throw_error(env, "ERR_OUT_OF_MEMORY", "out of memory");
      return NULL;
    }
  }
  int created = t == napi_undefined || duplicate;
  sock_t *s = calloc(1, sizeof *s);
  if (!s) {
    owned_lock_acquire();
    if (created) close(fd);
    owned_set(fd, 0);
    uv_mutex_unlock(&owned_lock);
    napi_throw_error(env, "ERR_OUT_OF_MEMORY", "out of memory");
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->domain = domain;
  s->batch = 32;
  s->max_len = SLOT_SIZE;
  s->refed = 1;
  if (napi_wrap(env, self, s, sock_finalize, NULL, NULL) != napi_ok) {
    owned_lock_acquire();
    if (created) close(fd);
    owned_set(fd, 0);
    uv_mutex_unlock(&owned_lock);
    free(s);
    return throw_napi_failure(env, "napi_wrap");
  }
  if (napi_add_env_cleanup_hook(env, sock_cleanup_hook, s) == napi_ok) s->hooked = 1;
  return self;
}

/* bind(path): throws on failure */
static napi_value sock_bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  sock_t *s = unwrap_open(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  struct sockaddr_un sa;
  socklen_t len = argc >= 1 ? to_sockaddr(env, argv[0], &sa) : 0;
  if (len == 0) {
    if (argc < 1) napi_throw_type_error(env, "ERR_MISSING_ARGS", "bind(path) needs a path");
    return NULL;
  }
  if (bind(s->fd, (struct sockaddr *)&sa, len) < 0) return throw_errno(env, errno, "bind");
  return make_undefined(env);
}

/* connect(path) -> 0 or -errno (never throws for a syscall failure: it is
 * used to probe whether a live server sits behind a socket file, and to fix a
 * reply socket's peer). connect(null) dissolves the association. */
static napi_value sock_connect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  sock_t *s = unwrap_open(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  struct sockaddr_un sa;
  socklen_t len;
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t == napi_null) {
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNSPEC;
    len = sizeof(sa_family_t);
  } else {
    len = argc >= 1 ? to_sockaddr(env, argv[0], &sa) : 0;
    if (len == 0) {
      if (argc < 1) napi_throw_type_error(env, "ERR_MISSING_ARGS", "connect(path) needs a path");
      return NULL;
    }
  }
  int r;
  do r = connect(s->fd, (struct sockaddr *)&sa, len);
  while (r < 0 && errno == EINTR);
  return make_int(env, r < 0 ? -errno : 0);
}

/* The address of the proc magic link for descriptor fd: resolving it reaches
 * the very inode fd refers to, whatever happens to the path meanwhile. */
static socklen_t proc_fd_addr(int fd, struct sockaddr_un *sa) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  int n = snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d", fd);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
}

/* sendto() the socket file at `sa` only if it is owned by `uid`: the file is opened
 * with O_PATH|O_NOFOLLOW (no symlink as the last component), checked with
 * fstat (a socket, owner uid) and the datagram goes through that handle
 * (/proc/self/fd/N), so a path swapped after the check is not followed.
 * -EACCES when it is not such a file. */
static ssize_t send_if_owned(int fd, const void *data, size_t length,
                             const struct sockaddr_un *sa, uint32_t uid) {
  /* sun_path need not hold a terminator (a path of all 108 bytes) */
  char path[SUN_PATH_MAX + 1];
  memcpy(path, sa->sun_path, SUN_PATH_MAX);
  path[SUN_PATH_MAX] = '\0';
  int pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (pfd < 0) return errno == ELOOP ? -EACCES : -errno;
  struct stat st;
  ssize_t r;
  if (fstat(pfd, &st) < 0) {
    r = -errno;
  } else if (!S_ISSOCK(st.st_mode) || st.st_uid != (uid_t)uid) {
    r = -EACCES;
  } else {
    struct sockaddr_un via;
    socklen_t vlen = proc_fd_addr(pfd, &via);
    do r = sendto(fd, length ? data : "", length, MSG_DONTWAIT | MSG_NOSIGNAL,
                  (struct sockaddr *)&via, vlen);
    while (r < 0 && errno == EINTR);
    if (r < 0) r = errno == EWOULDBLOCK ? -EAGAIN : -errno;
  }
  close(pfd);
  return r;
}

/* Our effective uid once it can no longer change, -1 while it can (or is not
 * known yet). It cannot change when the real, effective and saved uids are one
 * unprivileged uid and CAP_SETUID is not in the permitted set (which only an
 * execve can widen): no setuid() call can succeed then. A root process (or one
 * that holds CAP_SETUID) is asked on every call, since it may switch. */
static _Atomic long fixed_euid = -1;
/* The last effective uid found changeable: not examined again while it stays
 * (a process that may still switch pays one geteuid() per check, as before,
 * not three calls). */
static _Atomic long changeable_euid = -1;

static int euid_is_fixed(uid_t euid) {
  uid_t r, e, s;
  if (euid == 0 || getresuid(&r, &e, &s) != 0 || r != e || e != s || e != euid) return 0;
  /* capget(2) with the kernel's v3 layout (not every libc ships
   * <linux/capability.h>): CAP_SETUID is bit 7 of the first word. */
  struct { uint32_t version; int pid; } hdr = {0x20080522u, 0};
  struct { uint32_t effective, permitted, inheritable; } data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &hdr, data) != 0) return 0;
  return (data[0].permitted & (1u << 7)) == 0;
}

/* Whether a requester with credentials `uid` may have its reply sent by path
 * without the ownership check of send_if_owned: it is root (who can write to
 * any socket file itself) or it is us. Most calls cost no system call: root
 * needs none, and an unprivileged server learns its fixed uid once. */
static int requester_trusted(uid_t uid) {
  if (uid == 0) return 1;
  long fixed = fixed_euid;
  if (fixed >= 0) return uid == (uid_t)fixed;
  uid_t euid = geteuid();
  if ((long)euid != changeable_euid) {
    if (euid_is_fixed(euid)) fixed_euid = (long)euid;
    else changeable_euid = (long)euid;
  }
  return uid == euid;
}

/* Whether a reply to the socket file at `sa` for a requester with credentials
 * `uid` (-1 or UINT32_MAX: none) must go through send_if_owned: a file path
 * (not an abstract name) and a requester that is neither root nor us. */
static int owner_check_needed(int64_t uid, const struct sockaddr_un *sa) {
  return uid >= 0 && uid != (int64_t)UINT32_MAX && sa->sun_path[0] != '\0' &&
         !requester_trusted((uid_t)uid);
}

/* send(data: Uint8Array, peer: string | null, uid?: number) -> bytes sent, or
 * -errno (EAGAIN/EWOULDBLOCK come back as -EAGAIN: the peer's queue or our
 * send buffer is full). peer null: to the connected peer (no address lookup
 * in the kernel). uid: the credentials the request from `peer` came with;
 * when it is neither root nor our own effective uid, a file path is only written to if
 * the socket file there belongs to that uid (-EACCES otherwise), so a reply
 * cannot be steered (by swapping a symlink in) into a socket the requester
 * could not write to itself. Never blocks. */
static napi_value sock_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  sock_t *s = unwrap_open(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  bool is_ta = false;
  if (argc < 2 || napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "send(data, peer): data must be a Uint8Array");
    return NULL;
  }
  napi_typedarray_type tt;
  size_t length = 0;
  void *data = NULL;
  NAPI_CALL(env, napi_get_typedarray_info(env, argv[0], &tt, &length, &data, NULL, NULL));
  if (tt != napi_uint8_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "send(data, peer): data must be a Uint8Array");
    return NULL;
  }
  napi_valuetype pt = napi_undefined;
  napi_typeof(env, argv[1], &pt);
  struct sockaddr_un sa;
  socklen_t salen = 0;
  if (pt != napi_null) {
    salen = to_sockaddr(env, argv[1], &sa);
    if (salen == 0) return NULL;
  }
  int64_t uid = -1;
  if (argc >= 3) {
    napi_valuetype ut;
    napi_typeof(env, argv[2], &ut);
    if (ut != napi_undefined && !get_int_arg(env, argv[2], "uid", -1, UINT32_MAX, &uid))
      return NULL;
  }
  if (salen && owner_check_needed(uid, &sa))
    return make_int(env, (int64_t)send_if_owned(s->fd, data, length, &sa, (uint32_t)uid));
  ssize_t r;
  do r = salen ? sendto(s->fd, length ? data : "", length, MSG_DONTWAIT | MSG_NOSIGNAL,
                        (struct sockaddr *)&sa, salen)
               : send(s->fd, length ? data : "", length, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0) return make_int(env, errno == EWOULDBLOCK ? -EAGAIN : -errno);
  return make_int(env, (int64_t)r);
}

/* Element `at` of three parallel lists of a batch send: the bytes of
 * datas[at] (a Uint8Array) and the values of the other two lists. 0 after
 * throwing a TypeError naming `call`. */
static int batch_element(napi_env env, napi_value *lists, uint32_t at, const char *call,
                         void **data, size_t *length, napi_value *second, napi_value *third) {
  napi_value d;
  bool is_ta = false;
  napi_typedarray_type tt = napi_int8_array;
  if (napi_get_element(env, lists[0], at, &d) != napi_ok ||
      napi_get_element(env, lists[1], at, second) != napi_ok ||
      napi_get_element(env, lists[2], at, third) != napi_ok ||
      napi_is_typedarray(env, d, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, d, &tt, length, data, NULL, NULL) != napi_ok ||
      tt != napi_uint8_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s: bad element", call);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return 0;
  }
  return 1;
}

/* One message of a sendmmsg() batch: `length` bytes at `data` to `addr`. */
static void batch_message(struct mmsghdr *m, struct iovec *iov, void *data, size_t length,
                          void *addr, socklen_t salen) {
  iov->iov_base = length ? data : (void *)"";
  iov->iov_len = length;
  memset(m, 0, sizeof *m);
  m->msg_hdr.msg_iov = iov;
  m->msg_hdr.msg_iovlen = 1;
  m->msg_hdr.msg_name = addr;
  m->msg_hdr.msg_namelen = salen;
}

/* sendmmsg() of the first n messages without blocking: how many went out, or
 * -errno when none did (-EAGAIN for EWOULDBLOCK too). */
static napi_value send_batch(napi_env env, int fd, struct mmsghdr *msgs, int n) {
  int r;
  do r = sendmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0) return make_int(env, errno == EWOULDBLOCK ? -EAGAIN : -errno);
  return make_int(env, r);
}

/* sendMany(datas: Uint8Array[], peers: string[], uids: number[], start, count)
 * -> how many datagrams, from index `start` on, went out (at most `count`,
 * at most MAX_BATCH), or -errno for datagram `start` when none did (-EAGAIN:
 * the peer's queue or our send buffer is full). The leading ones whose
 * requester is trusted (root, us, or no credentials: see sock_send) go out in
 * one sendmmsg(); a datagram whose requester is another uid ends that run, and
 * when it is the first one it is sent alone through send_if_owned (1 or
 * -errno). A peer that is not a socket address ends the run before it, or
 * throws when it is the first. The caller sends the rest with another call.
 * Never blocks; throws only for bad arguments. */
static napi_value sock_send_many(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5] = {NULL, NULL, NULL, NULL, NULL};
  sock_t *s = unwrap_open(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  int64_t start = 0, count = 0;
  if (argc < 5) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "sendMany needs 5 arguments");
    return NULL;
  }
  if (!get_int_arg(env, argv[3], "start", 0, UINT32_MAX, &start) ||
      !get_int_arg(env, argv[4], "count", 0, UINT32_MAX, &count))
    return NULL;
  if (count > MAX_BATCH) count = MAX_BATCH;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_un addrs[MAX_BATCH];
  int n = 0;
  for (; n < (int)count; n++) {
    napi_value p, u;
    size_t length = 0;
    void *data = NULL;
    if (!batch_element(env, argv, (uint32_t)(start + n), "sendMany(datas, peers, uids, start, count)",
                       &data, &length, &p, &u))
      return NULL;
    int64_t uid = -1;
    if (!get_int_arg(env, u, "uid", -1, UINT32_MAX, &uid)) return NULL;
    socklen_t salen = to_sockaddr(env, p, &addrs[n]);
    if (salen == 0) {
      if (n == 0) return NULL; /* the TypeError for the first one is thrown */
      /* a later one ends the run before it (its own call throws) */
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
      break;
    }
    if (owner_check_needed(uid, &addrs[n])) {
      if (n > 0) break;
      ssize_t r = send_if_owned(s->fd, data, length, &addrs[0], (uint32_t)uid);
      return make_int(env, r < 0 ? (int64_t)r : 1);
    }
    batch_message(&msgs[n], &iov[n], data, length, &addrs[n], salen);
  }
  if (n == 0) return make_int(env, 0);
  return send_batch(env, s->fd, msgs, n);
}

/* Reads an IP literal and a port into the sockaddr of `domain`. Returns its
 * length, or 0 when the literal is not of that family (no exception). */
static socklen_t inet_addr_of(napi_env env, int domain, napi_value address, napi_value port,
                              struct sockaddr_storage *ss) {
  char text[INET6_ADDRSTRLEN + 1];
  size_t len = 0;
  uint32_t p = 0;
  if (napi_get_value_string_latin1(env, address, text, sizeof text, &len) != napi_ok ||
      len >= sizeof text - 1 || napi_get_value_uint32(env, port, &p) != napi_ok || p == 0 ||
      p > 65535)
    return 0;
  memset(ss, 0, sizeof *ss);
  if (domain == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)p);
    return inet_pton(AF_INET, text, &in->sin_addr) == 1 ? (socklen_t)sizeof *in : 0;
  }
  if (domain == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)p);
    return inet_pton(AF_INET6, text, &in6->sin6_addr) == 1 ? (socklen_t)sizeof *in6 : 0;
  }
  return 0;
}

/* sendInet(data: Uint8Array, address: string, port: number) -> bytes sent or
 * -errno (-EAGAIN when it would block) on a duplicated UDP descriptor.
 * -EINVAL when the address is not a plain IP literal of the socket's family
 * (the caller then sends another way). Never blocks, never throws for a
 * syscall failure. */
static napi_value sock_send_inet(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  sock_t *s = unwrap_open(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  bool is_ta = false;
  napi_typedarray_type tt = napi_int8_array;
  size_t length = 0;
  void *data = NULL;
  if (argc < 3 || napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[0], &tt, &length, &data, NULL, NULL) != napi_ok ||
      tt != napi_uint8_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "sendInet(data, address, port): data must be a Uint8Array");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t salen = inet_addr_of(env, s->domain, argv[1], argv[2], &ss);
  if (salen == 0) return make_int(env, -EINVAL);
  ssize_t r;
  do r = sendto(s->fd, length ? data : "", length, MSG_DONTWAIT | MSG_NOSIGNAL,
                (struct sockaddr *)&ss, salen);
  while (r < 0 && errno == EINTR);
  if (r < 0) return make_int(env, errno == EWOULDBLOCK ? -EAGAIN : -errno);
  return make_int(env, (int64_t)r);
}

/* sendInetMany(datas: Uint8Array[], addresses: string[], ports: number[],
 * count) -> how many of the first `count` (at most MAX_BATCH) datagrams one
 * sendmmsg() sent, or -errno when it sent none (-EAGAIN: would block;
 * -EINVAL: the first address is not a plain IP literal of the socket's
 * family; a later such address ends the batch before it). The caller sends
 * the rest another way. */
static napi_value sock_send_inet_many(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4] = {NULL, NULL, NULL, NULL};
  sock_t *s = unwrap_open(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  int64_t count = 0;
  if (argc < 4 || !get_int_arg(env, argv[3], "count", 0, UINT32_MAX, &count)) {
    if (argc < 4) napi_throw_type_error(env, "ERR_MISSING_ARGS", "sendInetMany needs 4 arguments");
    return NULL;
  }
  if (count > MAX_BATCH) count = MAX_BATCH;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_storage addrs[MAX_BATCH];
  int n = 0;
  for (; n < (int)count; n++) {
    napi_value a, p;
    size_t length = 0;
    void *data = NULL;
    if (!batch_element(env, argv, (uint32_t)n, "sendInetMany(datas, addresses, ports, count)",
                       &data, &length, &a, &p))
      return NULL;
    socklen_t salen = inet_addr_of(env, s->domain, a, p, &addrs[n]);
    if (salen == 0) break;
    batch_message(&msgs[n], &iov[n], data, length, &addrs[n], salen);
  }
  if (n == 0) return make_int(env, count == 0 ? 0 : -EINVAL);
  return send_batch(env, s->fd, msgs, n);
}

/* The sender of datagram i as JS sees it: its address (from_sockaddr), or
 * undefined when it is the sender of the datagram delivered just before on
 * this socket (JS keeps that one: no string per datagram from one peer). */
static napi_value peer_value(napi_env env, sock_t *s, const struct sockaddr_un *sa,
                             socklen_t len, uint32_t uid, uint32_t gid) {
  napi_value v = NULL;
  /* the kernel reports 111 for a path of all 108 bytes; sa holds 110 */
  if (len > (socklen_t)sizeof *sa) len = (socklen_t)sizeof *sa;
  if (s->last_len != 0 && len == s->last_len && uid == s->last_uid && gid == s->last_gid &&
      memcmp(sa, &s->last_addr, len) == 0) {
    napi_get_undefined(env, &v);
    return v;
  }
  v = from_sockaddr(env, sa, len);
  if (len == 0) {
    s->last_len = 0;
  } else {
    memcpy(&s->last_addr, sa, len);
    s->last_len = len;
    s->last_uid = uid;
    s->last_gid = gid;
  }
  return v;
}

/* The sender's credentials of datagram i (SCM_CREDENTIALS), -1 if none. */
static void creds_of(const struct msghdr *m, uint32_t *uid, uint32_t *gid) {
  *uid = *gid = (uint32_t)-1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
      struct ucred cr;
      memcpy(&cr, CMSG_DATA(c), sizeof cr);
      *uid = cr.uid;
      *gid = cr.gid;
    }
  }
}

/* Delivers one recvmmsg round to JS: callback(buffer, count, peers, errno).
 *
 * A copying socket gets one fresh ArrayBuffer laid out as [count x (int32
 * length, int32 flags)] followed by the datagram bytes back to back (one
 * allocation per batch, however many datagrams it holds). An in-place socket
 * gets the arena's ArrayBuffer itself: datagram i at i * SLOT_SIZE, its
 * (length, flags) at ARENA_META_OFFSET + 8 * i; nothing is allocated or
 * copied, and the bytes are only valid until the callback returns.
 * length is the bytes present, at most max_len; flags bit 0 = truncated (the
 * real length of a truncated datagram is not kept).
 *
 * peers: for one datagram its sender itself, else an array with one sender
 * per datagram; a sender is a string (path, or abstract name starting with
 * NUL), null for an unbound socket, or undefined for "the same sender as the
 * datagram delivered before it on this socket". */
static int deliver(sock_t *s, arena_t *a, int n, int err) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  int ok = 1;
  napi_value cb, self, argv[4];
  if (napi_get_reference_value(env, s->callback, &cb) != napi_ok || cb == NULL ||
      napi_get_reference_value(env, s->wrapper, &self) != napi_ok || self == NULL) {
    napi_close_handle_scope(env, scope);
    return 0;
  }
  if (n > 0) {
    const size_t max_len = (size_t)s->max_len;
    napi_value ab, peers = NULL;
    int32_t *meta, *creds;
    unsigned char *out = NULL;
    if (s->in_place) {
      if (napi_get_reference_value(env, a->buffer, &ab) != napi_ok || ab == NULL) {
        napi_close_handle_scope(env, scope);
        return 0;
      }
      meta = (int32_t *)(a->slots + ARENA_META_OFFSET);
      creds = (int32_t *)(a->slots + ARENA_CREDS_OFFSET);
      a->exposed = 1;
    } else {
      size_t total = (size_t)n * 8;
      for (int i = 0; i < n; i++) {
        size_t len = a->msgs[i].msg_len;
        total += len > max_len ? max_len : len;
      }
      /* the credentials last, 4-byte aligned, so that they end the buffer */
      total = ((total + 3) & ~(size_t)3) + (size_t)n * 8;
      void *buf = NULL;
      if (napi_create_arraybuffer(env, total, &buf, &ab) != napi_ok) {
        napi_close_handle_scope(env, scope);
        return 0;
      }
      meta = buf;
      out = (unsigned char *)buf + (size_t)n * 8;
      creds = (int32_t *)((unsigned char *)buf + total - (size_t)n * 8);
    }
    if (n > 1 && napi_create_array_with_length(env, (size_t)n, &peers) != napi_ok) {
      napi_close_handle_scope(env, scope);
      return 0;
    }
    for (int i = 0; i < n; i++) {
      size_t len = a->msgs[i].msg_len;
      /* msg_len is the real length (MSG_TRUNC in the flags): anything over
       * max_len is cut and flagged, never delivered as if whole. */
      int trunc = len > max_len || (a->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      size_t have = len > max_len ? max_len : len;
      if (out) {
        memcpy(out, a->slots + (size_t)i * SLOT_SIZE, have);
        out += have;
      }
      uint32_t uid, gid;
      creds_of(&a->msgs[i].msg_hdr, &uid, &gid);
      meta[2 * i] = (int32_t)have;
      meta[2 * i + 1] = trunc ? 1 : 0;
      creds[2 * i] = (int32_t)uid;
      creds[2 * i + 1] = (int32_t)gid;
      napi_value peer =
          peer_value(env, s, &a->addrs[i], a->msgs[i].msg_hdr.msg_namelen, uid, gid);
      if (n == 1) peers = peer;
      else napi_set_element(env, peers, (uint32_t)i, peer);
    }
    argv[0] = ab;
    argv[1] = make_int(env, n);
    argv[2] = peers;
    argv[3] = make_int(env, 0);
  } else {
    napi_get_null(env, &argv[0]);
    argv[1] = make_int(env, 0);
    napi_get_null(env, &argv[2]);
    argv[3] = make_int(env, err);
  }
  napi_value result;
  /* make_callback (not call_function): runs process.nextTick callbacks and
   * microtasks queued by the handlers, as for any other I/O callback. */
  napi_status st = napi_make_callback(env, s->async_ctx, self, cb, 4, argv, &result);
  if (st != napi_ok) {
    /* JS may not have taken in this batch's senders: the next batch must
     * name its first sender instead of saying "the same as before". */
    s->last_len = 0;
  }
  if (st == napi_pending_exception) {
    napi_value exc;
    if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
    ok = 0;
  } else if (st != napi_ok) {
    ok = 0;
  }
  napi_close_handle_scope(env, scope);
  return ok;
}

static void on_readable(uv_poll_t *h, int status, int events) {
  poller_t *p = (poller_t *)h;
  sock_t *s = p->owner;
  if (!s || s->fd < 0) return;
  if (status < 0) {
    /* libuv stopped the poll on POLLERR and says EBADF. The real cause is the
     * socket's pending error (reading it clears it, e.g. ECONNRESET when a
     * connected peer went away): report that and keep receiving. Only an
     * error that does not clear stops receiving (it would spin). */
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) err = errno;
    int restart = err != 0 && err != EBADF && err != ENOTSOCK;
    if (!restart || uv_poll_start(h, UV_READABLE, on_readable) < 0) uv_poll_stop(h);
    deliver(s, NULL, 0, err != 0 ? -err : status);
    return;
  }
  if (!(events & UV_READABLE)) return;
  for (int round = 0; round < ROUNDS_PER_WAKEUP; round++) {
    /* the previous JS batch may have closed the socket */
    if (p->owner != s || s->fd < 0) return;
    /* looked up every round: the previous JS batch may have detached it */
    arena_t *a = get_arena(s->env);
    if (!a) {
      uv_poll_stop(h);
      deliver(s, NULL, 0, UV_ENOMEM);
      return;
    }
    int batch = s->batch;
    for (int i = 0; i < batch; i++) {
      a->iov[i].iov_base = a->slots + (size_t)i * SLOT_SIZE;
      a->iov[i].iov_len = SLOT_SIZE;
      memset(&a->msgs[i].msg_hdr, 0, sizeof a->msgs[i].msg_hdr);
      a->msgs[i].msg_hdr.msg_iov = &a->iov[i];
      a->msgs[i].msg_hdr.msg_iovlen = 1;
      a->msgs[i].msg_hdr.msg_name = &a->addrs[i];
      a->msgs[i].msg_hdr.msg_namelen = sizeof a->addrs[i];
      a->msgs[i].msg_hdr.msg_control = a->ctl[i].buf;
      a->msgs[i].msg_hdr.msg_controllen = sizeof a->ctl[i].buf;
      a->msgs[i].msg_len = 0;
    }
    int n;
    do n = recvmmsg(s->fd, a->msgs, (unsigned)batch, MSG_DONTWAIT | MSG_TRUNC, NULL);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      deliver(s, NULL, 0, -err);
      return;
    }
    if (n == 0) return;
    if (!deliver(s, a, n, 0)) return;
    /* drained; or one datagram per wakeup was asked for (a reply socket
     * expects one: another round would be a syscall that finds nothing) */
    if (n < batch || batch == 1) return;
  }
}

/* poll(callback, batchSize, maxLength, inPlace): start receiving. Datagrams
 * longer than maxLength (at most SLOT_SIZE) are cut to it and flagged
 * truncated. inPlace: hand JS views of the receive arena (see deliver()). */
static napi_value sock_poll(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4] = {NULL, NULL, NULL, NULL}, self;
  sock_t *s = unwrap_open(env, info, &argc, argv, &self);
  if (!s) return NULL;
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "poll(callback, batch): callback must be a function");
    return NULL;
  }
  int64_t batch = 32;
  if (argc >= 2) {
    napi_valuetype bt;
    napi_typeof(env, argv[1], &bt);
    if (bt != napi_undefined && !get_int_arg(env, argv[1], "batch", 1, MAX_BATCH, &batch))
      return NULL;
  }
  int64_t max_len = SLOT_SIZE;
  if (argc >= 3) {
    napi_valuetype mt;
    napi_typeof(env, argv[2], &mt);
    if (mt != napi_undefined && !get_int_arg(env, argv[2], "maxLength", 0, SLOT_SIZE, &max_len))
      return NULL;
  }
  if (s->poller) {
    napi_throw_error(env, "ERR_ALREADY_POLLING", "socket is already receiving");
    return NULL;
  }
  bool in_place = false;
  if (argc >= 4) {
    napi_valuetype it;
    napi_typeof(env, argv[3], &it);
    if (it != napi_undefined && (it != napi_boolean ||
                                 napi_get_value_bool(env, argv[3], &in_place) != napi_ok)) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "poll(): inPlace must be a boolean");
      return NULL;
    }
  }
  if (get_arena(env) == NULL) {
    napi_throw_error(env, "ERR_OUT_OF_MEMORY", "no receive arena");
    return NULL;
  }
  uv_loop_t *loop = NULL;
  NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
  poller_t *p = calloc(1, sizeof *p);
  if (!p) {
    napi_throw_error(env, "ERR_OUT_OF_MEMORY", "out of memory");
    return NULL;
  }
  /* the sender's uid/gid with each datagram (see sock_send) */
  int on = 1;
  if (s->domain == AF_UNIX && setsockopt(s->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) {
    free(p);
    return throw_errno(env, errno, "setsockopt(SO_PASSCRED)");
  }
  int r = uv_poll_init(loop, &p->handle, s->fd);
  if (r < 0) {
    free(p);
    return throw_errno(env, -r, "uv_poll_init");
  }
  p->owner = s;
  p->handle.data = p;
  if (napi_add_async_cleanup_hook(env, poller_async_cleanup, p, &p->hook) != napi_ok) {
    p->hook = NULL;
    poller_close(p);
    return throw_napi_failure(env, "napi_add_async_cleanup_hook");
  }
  r = uv_poll_start(&p->handle, UV_READABLE, on_readable);
  if (r < 0) {
    poller_close(p);
    return throw_errno(env, -r, "uv_poll_start");
  }
  if (!s->refed) uv_unref((uv_handle_t *)&p->handle);
  s->batch = (int)batch;
  s->max_len = (int)max_len;
  s->in_place = in_place;
  s->last_len = 0;
  s->poller = p;
  if (napi_create_reference(env, argv[0], 1, &s->callback) != napi_ok ||
      napi_create_reference(env, self, 1, &s->wrapper) != napi_ok) {
    sock_shutdown(s, 1);
    return throw_napi_failure(env, "napi_create_reference");
  }
  /* One async context for the socket's life (instead of a JS AsyncResource
   * entered per batch: one scope per wakeup, not two). The resource is the
   * wrapper, which is also the receiver deliver() calls with: Node takes the
   * receiver as the current resource, where AsyncLocalStorage looks. */
  napi_value name;
  if (napi_create_string_utf8(env, "UnixDatagramSocket", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, self, name, &s->async_ctx) != napi_ok) {
    s->async_ctx = NULL;
    sock_shutdown(s, 1);
    return throw_napi_failure(env, "napi_async_init");
  }
  return make_undefined(env);
}

static napi_value sock_ref(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap_this(env, info, &argc, NULL, NULL);
  if (!s) return NULL;
  s->refed = 1;
  if (s->poller) uv_ref((uv_handle_t *)&s->poller->handle);
  return make_undefined(env);
}

static napi_value sock_unref(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap_this(env, info, &argc, NULL, NULL);
  if (!s) return NULL;
  s->refed = 0;
  if (s->poller) uv_unref((uv_handle_t *)&s->poller->handle);
  return make_undefined(env);
}

/* close(): idempotent */
static napi_value sock_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap_this(env, info, &argc, NULL, NULL);
  if (!s) return NULL;
  if (s->hooked) {
    napi_remove_env_cleanup_hook(env, sock_cleanup_hook, s);
    s->hooked = 0;
  }
  sock_shutdown(s, 1);
  return make_undefined(env);
}

static napi_value sock_fd(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap_this(env, info, &argc, NULL, NULL);
  if (!s) return NULL;
  return make_int(env, s->fd);
}

/* localAddress() -> string | null */
static napi_value sock_local_address(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap_open(env, info, &argc, NULL, NULL);
  if (!s) return NULL;
  struct sockaddr_un sa;
  socklen_t len = sizeof sa;
  memset(&sa, 0, sizeof sa);
  if (getsockname(s->fd, (struct sockaddr *)&sa, &len) < 0)
    return throw_errno(env, errno, "getsockname");
  return from_sockaddr(env, &sa, len);
}

/* Throws Error { code: 'NOT_OUR_SOCKET' } for ownFile(). */
static napi_value throw_not_ours(napi_env env, const char *why) {
  char msg[160];
  snprintf(msg, sizeof msg, "the file at the socket path is not the socket just bound: %s", why);
  napi_throw_error(env, "NOT_OUR_SOCKET", msg);
  return NULL;
}

/* ownFile(path, uid, gid, mode, expectedMode) -> [dev, ino] (bigints)
 *
 * Gives the socket file this socket was just bound to its owner and mode,
 * never by path: the path is opened with O_PATH|O_NOFOLLOW and that handle is
 * checked to be our socket file before fchownat(AT_EMPTY_PATH) and a chmod
 * through /proc/self/fd/N change exactly that inode. A symlink (or anything
 * else) swapped in at the path is refused, not followed. The checks: a
 * socket, owned by our effective uid, one link, mode `expectedMode` (-1: any);
 * as root (who can reach any socket file) also a nonce sent through the
 * handle must arrive on this very socket. uid/gid -1 leave them unchanged. */
static napi_value sock_own_file(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5] = {NULL, NULL, NULL, NULL, NULL};
  sock_t *s = unwrap_open(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  char path[4097];
  size_t plen = 0;
  napi_valuetype t;
  if (argc < 5 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_string ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok ||
      plen == 0 || plen >= sizeof path - 1 || memchr(path, '\0', plen) != NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE",
                          "ownFile(path, uid, gid, mode, expectedMode): bad path");
    return NULL;
  }
  int64_t uid, gid, mode, expected;
  if (!get_int_arg(env, argv[1], "uid", -1, UINT32_MAX - 1, &uid) ||
      !get_int_arg(env, argv[2], "gid", -1, UINT32_MAX - 1, &gid) ||
      !get_int_arg(env, argv[3], "mode", 0, 07777, &mode) ||
      !get_int_arg(env, argv[4], "expectedMode", -1, 0777, &expected))
    return NULL;
  int pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (pfd < 0) return throw_errno(env, errno, "open(O_PATH)");
  struct stat st;
  const char *why = NULL;
  if (fstat(pfd, &st) < 0) {
    int err = errno;
    close(pfd);
    return throw_errno(env, err, "fstat");
  }
  if (S_ISLNK(st.st_mode)) why = "a symbolic link";
  else if (!S_ISSOCK(st.st_mode)) why = "not a socket";
  else if (st.st_uid != geteuid()) why = "owned by another user";
  else if (st.st_nlink != 1) why = "it has more than one link";
  else if (expected >= 0 && (st.st_mode & 0777) != (mode_t)expected) why = "unexpected mode";
  if (!why && geteuid() == 0) {
    /* root passes every permission check, so prove the identity: a nonce
     * sent through the handle must arrive here. Nobody but root can reach
     * the file before its final mode (mode 0, or a private directory). */
    unsigned char nonce[16], got[sizeof nonce + 1];
    if (getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) {
      int err = errno;
      close(pfd);
      return throw_errno(env, err, "getrandom");
    }
    int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un via;
    socklen_t vlen = proc_fd_addr(pfd, &via);
    int found = 0;
    if (probe >= 0 &&
        sendto(probe, nonce, sizeof nonce, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&via,
               vlen) == (ssize_t)sizeof nonce) {
      /* only root could have queued anything else: drop it (at most 256) */
      for (int i = 0; i < 256 && !found; i++) {
        ssize_t n = recv(s->fd, got, sizeof got, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        found = n == (ssize_t)sizeof nonce && memcmp(got, nonce, sizeof nonce) == 0;
      }
    }
    if (probe >= 0) close(probe);
    if (!found) why = "another socket";
  }
  if (why) {
    close(pfd);
    return throw_not_ours(env, why);
  }
  if ((uid != -1 || gid != -1) &&
      fchownat(pfd, "", (uid_t)uid, (gid_t)gid, AT_EMPTY_PATH) < 0) {
    int err = errno;
    close(pfd);
    return throw_errno(env, err, "fchownat");
  }
  char via_path[64];
  snprintf(via_path, sizeof via_path, "/proc/self/fd/%d", pfd);
  if (chmod(via_path, (mode_t)mode) < 0) {
    int err = errno;
    close(pfd);
    return throw_errno(env, err, "chmod(/proc/self/fd)");
  }
  close(pfd);
  napi_value arr, v;
  NAPI_CALL(env, napi_create_array_with_length(env, 2, &arr));
  NAPI_CALL(env, napi_create_bigint_uint64(env, (uint64_t)st.st_dev, &v));
  napi_set_element(env, arr, 0, v);
  NAPI_CALL(env, napi_create_bigint_uint64(env, (uint64_t)st.st_ino, &v));
  napi_set_element(env, arr, 1, v);
  return arr;
}

/* setBufferSizes(receive, send): 0 leaves one unchanged. As root the
 * *FORCE variants lift the net.core.[rw]mem_max cap. */
static napi_value sock_set_buffers(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  sock_t *s = unwrap_open(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  int64_t rcv = 0, snd = 0;
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "setBufferSizes(receive, send)");
    return NULL;
  }
  if (!get_int_arg(env, argv[0], "receive buffer size", 0, INT32_MAX / 2, &rcv) ||
      !get_int_arg(env, argv[1], "send buffer size", 0, INT32_MAX / 2, &snd))
    return NULL;
  if (rcv > 0) {
    int v = (int)rcv;
    if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0 &&
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) < 0)
      return throw_errno(env, errno, "setsockopt(SO_RCVBUF)");
  }
  if (snd > 0) {
    int v = (int)snd;
    if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) < 0 &&
        setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) < 0)
      return throw_errno(env, errno, "setsockopt(SO_SNDBUF)");
  }
  return make_undefined(env);
}

/* bufferSizes() -> [receive, send] as the kernel reports them */
static napi_value sock_get_buffers(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap_open(env, info, &argc, NULL, NULL);
  if (!s) return NULL;
  int rcv = 0, snd = 0;
  socklen_t l = sizeof rcv;
  if (getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcv, &l) < 0)
    return throw_errno(env, errno, "getsockopt(SO_RCVBUF)");
  l = sizeof snd;
  if (getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &snd, &l) < 0)
    return throw_errno(env, errno, "getsockopt(SO_SNDBUF)");
  napi_value arr;
  NAPI_CALL(env, napi_create_array_with_length(env, 2, &arr));
  napi_set_element(env, arr, 0, make_int(env, rcv));
  napi_set_element(env, arr, 1, make_int(env, snd));
  return arr;
}

/* ------------------------------------------------------------------ */
/* user / group lookups                                                */
/* ------------------------------------------------------------------ */

static int read_name(napi_env env, napi_value v, char *buf, size_t size, const char *what) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string ||
      napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 ||
      len >= size) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a non-empty string shorter than %zu bytes", what, size);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return 0;
  }
  napi_get_value_string_utf8(env, v, buf, size, &len);
  if (memchr(buf, '\0', len) != NULL) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must not contain a NUL byte", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return 0;
  }
  return 1;
}

/* Reads the one argument of lookupUser(name) / lookupGroup(name) into buf.
 * Returns 0 after throwing (the name's own TypeError, else `usage`). */
static int read_name_arg(napi_env env, napi_callback_info info, char *buf, size_t size,
                         const char *what, const char *usage) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_napi_failure(env, "napi_get_cb_info(env, info, &argc, argv, NULL, NULL)");
    return 0;
  }
  if (argc < 1 || !read_name(env, argv[0], buf, size, what)) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_type_error(env, "ERR_MISSING_ARGS", usage);
    return 0;
  }
  return 1;
}

/* getpwnam_r and getgrnam_r, behind one signature (they differ only in the
 * entry type). */
typedef int (*nam_r_fn)(const char *name, void *entry, char *buf, size_t size, void **found);

static int passwd_nam_r(const char *name, void *entry, char *buf, size_t size, void **found) {
  struct passwd *res = NULL;
  int r = getpwnam_r(name, entry, buf, size, &res);
  *found = res;
  return r;
}

static int group_nam_r(const char *name, void *entry, char *buf, size_t size, void **found) {
  struct group *res = NULL;
  int r = getgrnam_r(name, entry, buf, size, &res);
  *found = res;
  return r;
}

/* Runs one *nam_r lookup into entry, growing the string buffer (from 1 KiB,
 * by 4x) on ERANGE while it is below max_size. Returns that buffer, which
 * entry points into (free it once entry is read); *found is NULL when there
 * is no such name. Returns NULL after throwing. */
static char *lookup_nam_r(napi_env env, nam_r_fn fn, const char *syscall, const char *name,
                          void *entry, size_t max_size, void **found) {
  size_t size = 1024;
  for (;;) {
    char *buf = malloc(size);
    if (!buf) {
      throw_errno(env, ENOMEM, syscall);
      return NULL;
    }
    int r = fn(name, entry, buf, size, found);
    if (r == ERANGE && size < max_size) {
      free(buf);
      size *= 4;
      continue;
    }
    if (r != 0 && r != ENOENT && r != ESRCH && r != EBADF && r != EPERM) {
      free(buf);
      throw_errno(env, r, syscall);
      return NULL;
    }
    return buf;
  }
}

/* lookupUser(name) -> [uid, gid] | null (not found) */
static napi_value lookup_user(napi_env env, napi_callback_info info) {
  char name[256];
  if (!read_name_arg(env, info, name, sizeof name, "user name", "lookupUser(name)")) return NULL;
  struct passwd pw;
  void *found = NULL;
  char *buf = lookup_nam_r(env, passwd_nam_r, "getpwnam_r", name, &pw, 1u << 20, &found);
  if (!buf) return NULL;
  napi_value out = NULL;
  if (found == NULL) {
    napi_get_null(env, &out);
  } else {
    napi_create_array_with_length(env, 2, &out);
    napi_set_element(env, out, 0, make_int(env, (int64_t)pw.pw_uid));
    napi_set_element(env, out, 1, make_int(env, (int64_t)pw.pw_gid));
  }
  free(buf);
  return out;
}

/* lookupGroup(name) -> gid | null (not found) */
static napi_value lookup_group(napi_env env, napi_callback_info info) {
  char name[256];
  if (!read_name_arg(env, info, name, sizeof name, "group name", "lookupGroup(name)")) return NULL;
  struct group gr;
  void *found = NULL;
  char *buf = lookup_nam_r(env, group_nam_r, "getgrnam_r", name, &gr, 1u << 22, &found);
  if (!buf) return NULL;
  napi_value out = NULL;
  if (found == NULL) napi_get_null(env, &out);
  else out = make_int(env, (int64_t)gr.gr_gid);
  free(buf);
  return out;
}

/* ------------------------------------------------------------------ */
/* module                                                              */
/* ------------------------------------------------------------------ */

static napi_value init(napi_env env, napi_value exports) {
  arena_t *a = calloc(1, sizeof *a);
  if (!a || napi_set_instance_data(env, a, arena_free, NULL) != napi_ok) {
    free(a);
    return throw_napi_failure(env, "napi_set_instance_data");
  }
  napi_property_descriptor methods[] = {
      {"bind", NULL, sock_bind, NULL, NULL, NULL, napi_default_method, NULL},
      {"connect", NULL, sock_connect, NULL, NULL, NULL, napi_default_method, NULL},
      {"send", NULL, sock_send, NULL, NULL, NULL, napi_default_method, NULL},
      {"sendMany", NULL, sock_send_many, NULL, NULL, NULL, napi_default_method, NULL},
      {"sendInet", NULL, sock_send_inet, NULL, NULL, NULL, napi_default_method, NULL},
      {"sendInetMany", NULL, sock_send_inet_many, NULL, NULL, NULL, napi_default_method, NULL},
      {"poll", NULL, sock_poll, NULL, NULL, NULL, napi_default_method, NULL},
      {"ref", NULL, sock_ref, NULL, NULL, NULL, napi_default_method, NULL},
      {"unref", NULL, sock_unref, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, sock_close, NULL, NULL, NULL, napi_default_method, NULL},
      {"fd", NULL, sock_fd, NULL, NULL, NULL, napi_default_method, NULL},
      {"localAddress", NULL, sock_local_address, NULL, NULL, NULL, napi_default_method, NULL},
      {"ownFile", NULL, sock_own_file, NULL, NULL, NULL, napi_default_method, NULL},
      {"setBufferSizes", NULL, sock_set_buffers, NULL, NULL, NULL, napi_default_method, NULL},
      {"bufferSizes", NULL, sock_get_buffers, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_value cls;
  NAPI_CALL(env, napi_define_class(env, "UnixDatagramSocket", NAPI_AUTO_LENGTH, sock_new, NULL,
                                   sizeof methods / sizeof methods[0], methods, &cls));
  napi_value fn;
  NAPI_CALL(env, napi_set_named_property(env, exports, "UnixDatagramSocket", cls));
  NAPI_CALL(env, napi_create_function(env, "lookupUser", NAPI_AUTO_LENGTH, lookup_user, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "lookupUser", fn));
  NAPI_CALL(env, napi_create_function(env, "lookupGroup", NAPI_AUTO_LENGTH, lookup_group, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "lookupGroup", fn));
  napi_value consts;
  NAPI_CALL(env, napi_create_object(env, &consts));
  napi_set_named_property(env, consts, "SUN_PATH_MAX", make_int(env, SUN_PATH_MAX));
  napi_set_named_property(env, consts, "SLOT_SIZE", make_int(env, SLOT_SIZE));
  napi_set_named_property(env, consts, "MAX_BATCH", make_int(env, MAX_BATCH));
  napi_set_named_property(env, consts, "EAGAIN", make_int(env, EAGAIN));
  napi_set_named_property(env, consts, "ARENA_META_OFFSET", make_int(env, (int64_t)ARENA_META_OFFSET));
  napi_set_named_property(env, consts, "ARENA_CREDS_OFFSET", make_int(env, (int64_t)ARENA_CREDS_OFFSET));
  NAPI_CALL(env, napi_set_named_property(env, exports, "constants", consts));
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
