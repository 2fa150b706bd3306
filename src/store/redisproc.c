/* The private redis-server. Two of them on one append-only file would corrupt
 * it, so a start takes a lock on the folder that the Redis child inherits and
 * holds for its whole life, and makes sure nothing answers on the folder's
 * socket (a Redis started by hand holds no lock); a socket file nobody answers
 * on is what a killed Redis leaves behind. */
#include "dragoman/redisproc.h"

#include "dragoman/log.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
#define POLL_MS 10
#define STOP_GRACE_MS 5000
#define LOG_TAIL_BYTES 2048
#define CHILD_LOCK_FD 3

struct dm_redisproc {
    pid_t pid;
    char dir[PATH_MAX];
    char sock[SUN_PATH_MAX];
    char log[PATH_MAX];
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* mkdir -p with mode 0700 for what it creates. */
static bool make_dirs(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        dm_error("redis: data folder path too long: %s", dir);
        return false;
    }
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0700) == -1 && errno != EEXIST) {
            dm_error("redis: cannot create %s: %s", path, strerror(errno));
            return false;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
        dm_error("redis: %s is not a folder", dir);
        return false;
    }
    return true;
}

/* Redis chdirs into --dir, so every path it is given must be absolute. */
static bool fill_paths(dm_redisproc *p, const char *dir)
{
    if (!make_dirs(dir))
        return false;
    if (!realpath(dir, p->dir)) {
        dm_error("redis: cannot resolve %s: %s", dir, strerror(errno));
        return false;
    }
    if (snprintf(p->sock, sizeof p->sock, "%s/redis.sock", p->dir) >= (int)sizeof p->sock) {
        dm_error("redis: socket path %s/redis.sock is longer than the %zu bytes a unix socket allows; "
                 "use a shorter data_dir",
                 p->dir, SUN_PATH_MAX - 1);
        return false;
    }
    if (snprintf(p->log, sizeof p->log, "%s/redis.log", p->dir) >= (int)sizeof p->log) {
        dm_error("redis: log path too long in %s", p->dir);
        return false;
    }
    return true;
}

/* Returns the locked descriptor of DIR/redis.lock, or -1 when another Redis
 * of ours holds it. */
static int lock_dir(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/redis.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1) {
        dm_error("redis: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
        if (errno == EWOULDBLOCK)
            dm_error("redis: another redis-server of ours is running on %s; refusing to start a second one on "
                     "the same append-only file",
                     dir);
        else
            dm_error("redis: cannot lock %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* True when something accepts connections on path. */
static bool socket_is_live(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return false;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, path, strlen(path) + 1);
    bool live = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return live;
}

/* Removes a socket file left by a Redis that was killed; refuses when a Redis
 * still answers there. */
static bool clear_socket(const char *sock)
{
    struct stat st;
    if (lstat(sock, &st) == -1)
        return true;
    if (socket_is_live(sock)) {
        dm_error("redis: a redis-server already answers on %s; refusing to start a second one on the same "
                 "append-only file",
                 sock);
        return false;
    }
    if (unlink(sock) == -1 && errno != ENOENT) {
        dm_error("redis: cannot remove stale socket %s: %s", sock, strerror(errno));
        return false;
    }
    dm_info("redis: removed stale socket %s", sock);
    return true;
}

static void log_tail(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return; /* Redis never ran */
    char buf[LOG_TAIL_BYTES + 1];
    off_t end = lseek(fd, 0, SEEK_END);
    off_t start = end > LOG_TAIL_BYTES ? end - LOG_TAIL_BYTES : 0;
    ssize_t n = pread(fd, buf, LOG_TAIL_BYTES, start);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    char *line = buf;
    if (start > 0 && (line = strchr(buf, '\n')) != NULL)
        line++; /* skip the partial first line */
    for (char *save = NULL, *l = strtok_r(line, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        dm_error("redis.log: %s", l);
}

/* Only async-signal-safe calls between fork and exec: the parent may have
 * other threads holding locks. PR_SET_PDEATHSIG fires when the forking
 * thread ends, not the process: start Redis from the main thread. */
static void exec_child(pid_t parent, int lock_fd, char *const argv[])
{
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
        _exit(126); /* the parent is already gone */
    /* A blocked or ignored signal survives exec: Redis must see SIGTERM. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull > 0) {
        dup2(devnull, STDIN_FILENO);
        close(devnull);
    }
    /* Redis keeps the folder lock; dup2 onto another number drops O_CLOEXEC. */
    if (lock_fd == CHILD_LOCK_FD ? fcntl(lock_fd, F_SETFD, 0) == -1 : dup2(lock_fd, CHILD_LOCK_FD) == -1)
        _exit(126);
    /* Our listening sockets and Redis connections must not live on in Redis. */
    if (syscall(SYS_close_range, CHILD_LOCK_FD + 1U, ~0U, 0U) == -1)
        for (long fd = CHILD_LOCK_FD + 1, max = sysconf(_SC_OPEN_MAX); fd < max; fd++)
            close((int)fd);
    execvp(argv[0], argv);
    _exit(127); /* the parent reports it */
}

static bool spawn(dm_redisproc *p, const char *redis_server, int lock_fd)
{
    char *argv[] = {
        (char *)redis_server, "--port", "0", "--unixsocket", p->sock, "--unixsocketperm", "700",
        "--appendonly", "yes", "--appendfsync", "everysec", "--dir", p->dir, "--save", "",
        "--daemonize", "no", "--logfile", p->log, NULL,
    };
    pid_t parent = getpid();
    p->pid = fork();
    if (p->pid == -1) {
        dm_error("redis: fork: %s", strerror(errno));
        return false;
    }
    if (p->pid == 0)
        exec_child(parent, lock_fd, argv);
    return true;
}

static bool answers_ping(const char *sock)
{
    struct timeval tv = {0, 200 * 1000};
    redisContext *c = redisConnectUnixWithTimeout(sock, tv);
    if (!c)
        return false;
    bool ok = false;
    if (!c->err) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
        freeReplyObject(r);
    }
    redisFree(c);
    return ok;
}

static void describe_exit(const char *what, int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        dm_error("redis: %s: the redis-server binary was not found or is not executable", what);
    else if (WIFEXITED(status))
        dm_error("redis: %s: redis-server exited with status %d", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        dm_error("redis: %s: redis-server killed by signal %d", what, WTERMSIG(status));
}

/* Waits for PONG; fails at once when the child dies meanwhile. */
static bool wait_ready(dm_redisproc *p, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int status;
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid) {
            describe_exit("start failed", status);
            p->pid = -1;
            return false;
        }
        if (r == -1 && errno != EINTR) {
            dm_error("redis: waitpid: %s (is SIGCHLD ignored?)", strerror(errno));
            return false;
        }
        if (answers_ping(p->sock))
            return true;
        if (now_ms() >= deadline) {
            dm_error("redis: no answer on %s within %d ms", p->sock, timeout_ms);
            return false;
        }
        sleep_ms(POLL_MS);
    }
}

dm_redisproc *dm_redisproc_start(const char *redis_server, const char *dir, int timeout_ms)
{
    if (!redis_server || !*redis_server || !dir || !*dir) {
        dm_error("redis: no redis-server binary or data folder given");
        return NULL;
    }
    dm_redisproc *p = calloc(1, sizeof *p);
    if (!p) {
        dm_error("redis: out of memory");
        return NULL;
    }
    p->pid = -1;
    int lock_fd = fill_paths(p, dir) ? lock_dir(p->dir) : -1;
    bool spawned = lock_fd != -1 && clear_socket(p->sock) && spawn(p, redis_server, lock_fd);
    if (lock_fd != -1)
        close(lock_fd); /* the child's copy holds the lock from here on */
    if (!spawned) {
        free(p);
        return NULL;
    }
    long long started = now_ms();
    if (!wait_ready(p, timeout_ms)) {
        log_tail(p->log);
        dm_redisproc_stop(p);
        return NULL;
    }
    dm_info("redis: private redis-server pid %d ready on %s in %lld ms", (int)p->pid, p->sock, now_ms() - started);
    return p;
}

const char *dm_redisproc_socket(const dm_redisproc *p)
{
    return p->sock;
}

/* Returns true once the child is reaped (or gone), polling up to grace_ms. */
static bool reap(pid_t pid, int grace_ms, int *status)
{
    long long deadline = now_ms() + grace_ms;
    for (;;) {
        pid_t r = waitpid(pid, status, grace_ms ? WNOHANG : 0);
        if (r == pid || (r == -1 && errno == ECHILD))
            return true;
        if (r == -1 && errno != EINTR)
            return false;
        if (r == 0 && now_ms() >= deadline)
            return false;
        if (r == 0)
            sleep_ms(POLL_MS);
    }
}

void dm_redisproc_stop(dm_redisproc *p)
{
    if (!p)
        return;
    if (p->pid > 0) {
        int status = 0;
        kill(p->pid, SIGTERM);
        if (!reap(p->pid, STOP_GRACE_MS, &status)) {
            dm_warn("redis: pid %d did not stop within %d ms; killing it", (int)p->pid, STOP_GRACE_MS);
            kill(p->pid, SIGKILL);
            reap(p->pid, 0, &status);
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            dm_info("redis: pid %d stopped", (int)p->pid);
        } else {
            describe_exit("stop", status);
        }
    }
    free(p);
}
