/*
 * dir_iobuf: read and write buffers under the TLS (or plain) layer of an
 * LDAP connection.
 *
 * Without them libldap reads each reply with at least two read(2) calls
 * (OpenSSL asks for a record's 5-byte header, then its body) and a
 * poll(2) before most, and writes each request with a write(2) of its
 * own: four system calls per modify, 80,000 for 20,000 accounts, and as
 * many wake-ups of the server.  With them one read(2) takes whatever the
 * socket holds, and (in a window of modifies, dir_iobuf_batch) the
 * requests made while replies already read are handled go out together,
 * when libldap is about to wait on the socket:
 * the buffers change how bytes are grouped into system calls, never their
 * order, and nothing is held back while libldap waits for a reply.
 * Only the directory module includes this header.
 */
#ifndef CERTBULK_DIR_IOBUF_H
#define CERTBULK_DIR_IOBUF_H

#include <ldap.h>

/*
 * Puts the buffers under the layers of LD's connection (TLS, SASL); call
 * it once the connection is set up (after StartTLS and the bind).  A
 * write that finds the socket full waits at most TIMEOUT seconds for it
 * (the connection is then taken as lost).  Returns 0, or -1 if it could
 * not (the connection then works as before, without them).
 */
int	dir_iobuf_push(LDAP *ld, int timeout);

/*
 * ON 1: the requests made from here on are held, and written together
 * when libldap is about to wait for a reply (or the buffer is full); for
 * a window of modifies.  ON 0 (the default): each request is written as
 * libldap makes it (what is held is written now).  A no-op without the
 * buffers.
 */
void	dir_iobuf_batch(LDAP *ld, int on);

#endif
