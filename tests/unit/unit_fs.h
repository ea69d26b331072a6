/*
 * unit_fs.h: the unit tests' scratch-folder cleanup: remove_dir for the
 * tests that make one flat folder of files (test_deliver_smtp,
 * test_history), remove_tree for a folder of folders (test_optin,
 * test_sendq).
 *
 * Design decision: a header of static inline functions, not a module, so
 * that each test stays one file linked against the library and nothing
 * of the tests enters libpaperboy.
 */
#ifndef PAPERBOY_UNIT_FS_H
#define PAPERBOY_UNIT_FS_H

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Removes the files in dir (no subfolders), then dir; what is not there
 * is not an error. */
static inline void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = util_path_join(dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Removes dir and everything under it. */
static inline void remove_tree(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = util_path_join(dir, de->d_name);
		if (unlink(p) < 0 && (errno == EISDIR || errno == EPERM))
			remove_tree(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

#endif
