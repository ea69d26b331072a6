/*
 * unit_fs.h: the unit tests' scratch folders: remove_dir for one flat
 * folder of files, remove_tree for a folder of folders, count_files.
 *
 * Design decision: a header of static inline functions, not a module, so
 * that each test stays one file linked against the library and nothing
 * of the tests enters libpaperboy.
 */
#ifndef PAPERBOY_UNIT_FS_H
#define PAPERBOY_UNIT_FS_H

#include <dirent.h>
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

/* Removes path: a file, or a folder and everything under it. */
static inline void remove_tree(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = util_path_join(path, de->d_name);
		remove_tree(p);
		free(p);
	}
	closedir(d);
	rmdir(path);
}

/* The entries of dir but . and .. (0 when it cannot be read). */
static inline size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

#endif
