/*
 * version: the one copy of paperboy's version, for --version, the
 * User-Agent of every request and the man pages.
 */
#ifndef PAPERBOY_VERSION_H
#define PAPERBOY_VERSION_H

#define PAPERBOY_VERSION "0.3.0"

#endif
