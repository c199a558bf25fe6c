/*
 * An LD_PRELOAD stand-in for AF_ALG sockets, for BlueZ's btvirt on kernels without them
 * (docs/hardware.md "Try it without hardware").
 *
 * btvirt creates an SMP crypto context (bt_crypto_new: AF_ALG "skcipher ecb(aes)" and
 * "hash cmac(aes)") for every controller, and drops the client when that fails. This
 * library answers socket(AF_ALG), bind, setsockopt(SOL_ALG) and accept on those sockets
 * with socketpairs, so controllers come up; LE pairing (which would use the crypto) then
 * does not work, and pqble does not use it.
 *
 * It also moves btvirt's fixed server sockets (/tmp/bt-server-*, btvirt 5.66 has no option
 * for their place) into the directory named by PQBLE_BTVIRT_DIR, so that several emulators
 * can run side by side.
 *
 * Build: cc -shared -fPIC -O2 -o af-alg-shim.so af-alg-shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define MAX_FAKE_FD 4096
#define SERVER_PREFIX "/tmp/bt-server-"

/* fd -> its socketpair peer + 1 (0: not a stand-in) */
static int fake_peer[MAX_FAKE_FD];

static int (*real_socket)(int, int, int);
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_close)(int);
static int (*real_unlink)(const char *);

static void load(void) {
  if (real_socket != NULL) return;
  real_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
  real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
  real_setsockopt = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
  real_accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
  real_unlink = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
}

static int is_fake(int fd) { return fd >= 0 && fd < MAX_FAKE_FD && fake_peer[fd] != 0; }

/* A socketpair end that stands in for an AF_ALG socket (the peer stays open, unread). */
static int fake_socket(int type_flags) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | type_flags, 0, sv) < 0) return -1;
  if (sv[0] >= MAX_FAKE_FD || sv[1] >= MAX_FAKE_FD) {
    real_close(sv[0]);
    real_close(sv[1]);
    errno = EMFILE;
    return -1;
  }
  fake_peer[sv[0]] = sv[1] + 1;
  fake_peer[sv[1]] = -1; /* marks the hidden peer: closed with its partner */
  return sv[0];
}

/* The server socket path, moved into $PQBLE_BTVIRT_DIR; NULL if it is not btvirt's. */
static const char *moved_path(const char *path, char *buf, size_t size) {
  const char *dir = getenv("PQBLE_BTVIRT_DIR");
  if (dir == NULL || dir[0] == '\0' || path == NULL) return NULL;
  if (strncmp(path, SERVER_PREFIX, strlen(SERVER_PREFIX)) != 0) return NULL;
  int n = snprintf(buf, size, "%s/%s", dir, path + strlen("/tmp/"));
  if (n < 0 || (size_t)n >= size) return NULL;
  return buf;
}

int socket(int domain, int type, int protocol) {
  load();
  if (domain == AF_ALG) return fake_socket(type & (SOCK_CLOEXEC | SOCK_NONBLOCK));
  return real_socket(domain, type, protocol);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  load();
  if (is_fake(fd) || (addr != NULL && addr->sa_family == AF_ALG)) return 0;
  if (addr != NULL && addr->sa_family == AF_UNIX) {
    const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
    char buf[sizeof un->sun_path];
    const char *moved = moved_path(un->sun_path, buf, sizeof buf);
    if (moved != NULL) {
      struct sockaddr_un copy;
      memset(&copy, 0, sizeof copy);
      copy.sun_family = AF_UNIX;
      strcpy(copy.sun_path, moved);
      return real_bind(fd, (const struct sockaddr *)&copy, sizeof copy);
    }
  }
  return real_bind(fd, addr, len);
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
  load();
  if (is_fake(fd) || level == SOL_ALG) return 0;
  return real_setsockopt(fd, level, name, value, len);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  load();
  if (is_fake(fd)) return fake_socket(0);
  return real_accept(fd, addr, len);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  load();
  if (is_fake(fd)) return fake_socket(flags & (SOCK_CLOEXEC | SOCK_NONBLOCK));
  return real_accept4(fd, addr, len, flags);
}

int close(int fd) {
  load();
  if (fd >= 0 && fd < MAX_FAKE_FD && fake_peer[fd] > 0) {
    int peer = fake_peer[fd] - 1;
    fake_peer[fd] = 0;
    fake_peer[peer] = 0;
    real_close(peer);
  }
  return real_close(fd);
}

int unlink(const char *path) {
  load();
  char buf[108];
  const char *moved = moved_path(path, buf, sizeof buf);
  return real_unlink(moved != NULL ? moved : path);
}
