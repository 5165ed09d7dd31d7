/* debug.h - KS_DEBUG_CHECKS is 1 in --enable-debug builds (KS_DEBUG), 0 otherwise, so
 * code can test it with a plain `if` and no #ifdef in .c files. */
#ifndef KS_DEBUG_H
#define KS_DEBUG_H

#ifdef KS_DEBUG
enum { KS_DEBUG_CHECKS = 1 };
#else
enum { KS_DEBUG_CHECKS = 0 };
#endif

#endif
