/* random.h — cryptographically secure random bytes (getrandom(2)) and ids
 * made from them. Threading: any thread. */
#ifndef CH_CORE_RANDOM_H
#define CH_CORE_RANDOM_H

#include <stddef.h>

/* Fills buf; aborts if the kernel cannot provide randomness. */
void ch_random_bytes(void *buf, size_t n);
/* A random version-4 UUID, 8-4-4-4-12 lowercase hex, NUL-terminated. */
void ch_random_guid(char out[37]);

#endif
