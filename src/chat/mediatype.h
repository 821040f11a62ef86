/* mediatype.h — which media formats are served as themselves. */
#ifndef CH_CHAT_MEDIATYPE_H
#define CH_CHAT_MEDIATYPE_H

/* The canonical MIME type of format (an extension with or without its dot,
 * or a MIME type whose parameters are ignored) when it is one of the types
 * served as themselves (images, audio, video, PDF); else NULL. Static. */
const char *ch_media_mime(const char *format);

#endif
