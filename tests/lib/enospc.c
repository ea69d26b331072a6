/*
 * enospc.c: an LD_PRELOAD shim for the tests that simulates a full disk.
 * write(), pwrite(), writev(), fsync() and fdatasync() on a file descriptor
 * whose path lies under $ENOSPC_DIR fail with ENOSPC; everything else goes
 * to libc. Built by the tests that use it (cc -shared -fPIC ... -ldl).
 *
 * Design decision: the failure is decided by the descriptor's path
 * (/proc/self/fd), not by call counts, so a test names the folder that is
 * "full" and every write there fails, however the code under test batches.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* 1 if fd's path is under $ENOSPC_DIR (an absolute path). */
static int full(int fd)
{
	const char *dir = getenv("ENOSPC_DIR");
	char link[64], path[PATH_MAX];
	size_t n;
	ssize_t len;

	if (!dir || !*dir)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len < 0)
		return 0;
	path[len] = '\0';
	n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t count)
{
	if (full(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return NEXT(write)(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	if (full(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return NEXT(pwrite)(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	if (full(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return NEXT(writev)(fd, iov, iovcnt);
}

int fsync(int fd)
{
	if (full(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return NEXT(fsync)(fd);
}

int fdatasync(int fd)
{
	if (full(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return NEXT(fdatasync)(fd);
}
