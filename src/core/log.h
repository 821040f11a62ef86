/* log.h — one line per event, level-gated, to stderr.
 *
 * Never log tokens, passwords or message text above debug.
 * Threading: safe from any thread (one write(2) per line).
 */
#ifndef CH_CORE_LOG_H
#define CH_CORE_LOG_H

typedef enum { CH_LOG_DEBUG, CH_LOG_INFO, CH_LOG_WARN, CH_LOG_ERROR, CH_LOG_OFF } ch_log_level;

void ch_log_set_level(ch_log_level lvl);
/* Parses "debug"/"info"/"warn"/"error"/"off"; returns -1 when unknown. */
int ch_log_parse_level(const char *s);
int ch_log_enabled(ch_log_level lvl);
void ch_log(ch_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CH_DEBUG(...) ch_log(CH_LOG_DEBUG, __VA_ARGS__)
#define CH_INFO(...) ch_log(CH_LOG_INFO, __VA_ARGS__)
#define CH_WARN(...) ch_log(CH_LOG_WARN, __VA_ARGS__)
#define CH_ERROR(...) ch_log(CH_LOG_ERROR, __VA_ARGS__)

#endif
