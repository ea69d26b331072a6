/*
 * killat.c: an LD_PRELOAD shim for the tests that kills the process at a
 * chosen step: open() of a path containing $KILLAT_OPEN, or rename() to a
 * path containing $KILLAT_RENAME, raises SIGKILL instead of happening.
 * Built by the tests that use it (cc -shared -fPIC ... -ldl).
 *
 * Design decision: the step is named by the file it touches, so a test
 * can stop paperboy exactly between two writes (a profile renamed, its
 * log line not yet written) without any hook in paperboy itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static void maybe_die(const char *env, const char *path)
{
	const char *want = getenv(env);

	if (want && *want && path && strstr(path, want))
		raise(SIGKILL);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	maybe_die("KILLAT_OPEN", path);
	return NEXT(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	maybe_die("KILLAT_OPEN", path);
	return NEXT(open64)(path, flags, mode);
}

int rename(const char *from, const char *to)
{
	maybe_die("KILLAT_RENAME", to);
	return NEXT(rename)(from, to);
}
