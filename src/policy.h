/*
 * Command and EHLO policy (SPEC §4.2, §4.3): pure functions and tables,
 * no I/O. The session asks, the policy answers.
 */
#ifndef SMTPPROXY_POLICY_H
#define SMTPPROXY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_cmd.h"

enum policy_profile {
	POLICY_PROFILE_ESMTP,		/* default */
	POLICY_PROFILE_MAILGUARD,	/* the seven RFC 821 commands */
	POLICY_PROFILE_CUSTOM		/* exactly the allow list */
};

/* Bit (1 << verb) per allowed enum smtp_verb; unknown verbs never. */
typedef uint32_t	policy_cmdmask;

/*
 * The profiles, indexed by enum policy_profile: name and commands
 * (SMTP_CMD_UNKNOWN-terminated). Exported for t/check_policy.c, which
 * proves the table unique and complete.
 */
#define POLICY_PROFILE_COUNT	3

struct policy_profile_def {
	const char	*name;
	enum smtp_verb	 verbs[SMTP_CMD_COUNT];
};

extern const struct policy_profile_def
		policy_profile_table[POLICY_PROFILE_COUNT];

/*
 * The set of commands a profile permits, plus the names in allow (verbs
 * as in smtp_cmd_name(), case-insensitive). tls_on: STARTTLS allowed by
 * the tls mode. XCLIENT and XFORWARD are never allowed, even if listed.
 * Returns 0, or -1 with *errstr_r for an unknown command name.
 */
int	policy_commands(enum policy_profile, const char *const *allow,
	    size_t nallow, int tls_on, policy_cmdmask *mask_r,
	    const char **errstr_r);
/* "esmtp" / "mailguard" / "custom" -> profile, or -1. */
int	policy_profile_parse(const char *);
int	policy_command_allowed(policy_cmdmask, enum smtp_verb);

/* EHLO keywords the proxy follows (SPEC §3); a flag bit each. */
#define POLICY_EXT_SIZE			0x0001
#define POLICY_EXT_8BITMIME		0x0002
#define POLICY_EXT_PIPELINING		0x0004
#define POLICY_EXT_ENHANCEDSTATUSCODES	0x0008
#define POLICY_EXT_DSN			0x0010
#define POLICY_EXT_SMTPUTF8		0x0020
#define POLICY_EXT_AUTH			0x0040
#define POLICY_EXT_STARTTLS		0x0080
#define POLICY_EXT_CHUNKING		0x0100
#define POLICY_EXT_BINARYMIME		0x0200
#define POLICY_EXT_OTHER		0x8000	/* anything not listed */

/* EHLO keyword -> POLICY_EXT_* bit, one row per bit (but OTHER). */
#define POLICY_EXT_COUNT	10

struct policy_ext_def {
	const char	*keyword;
	uint32_t	 bit;
};

extern const struct policy_ext_def	policy_ext_table[POLICY_EXT_COUNT];

/* "SIZE" -> POLICY_EXT_SIZE etc. (case-insensitive), 0 if unknown. */
uint32_t policy_ext_parse(const char *keyword);

/*
 * Filter one EHLO reply line's text (after "250-"/"250 "; the first
 * line, the host name, is never filtered). Returns 1 to keep the line,
 * 0 to remove it; *ext_r gets the line's extension bit. allowed is a
 * mask of POLICY_EXT_*. CHUNKING and BINARYMIME are always removed
 * (BDAT is not inspected).
 */
int	policy_ehlo_keep(uint32_t allowed, const char *text, uint32_t *ext_r);

/*
 * Rebuild an EHLO reply from its lines' texts (code 250): keeps the first
 * line (host name; replaced by host when host is not NULL), keeps lines
 * policy_ehlo_keep() accepts, writes them as "250-"... "250 " CRLF lines
 * into out (NUL-terminated). *offered_r gets the mask of extensions kept.
 * Returns the length, or -1 if out is too small.
 */
/*
 * The same, then a "STARTTLS" line if add_starttls is set and no line
 * kept offers it (policy_ehlo_starttls()).
 */
int	policy_ehlo_rebuild_tls(uint32_t allowed, int add_starttls,
	    const char *const *lines, size_t nlines, const char *host,
	    char *out, size_t outsz, uint32_t *offered_r);
int	policy_ehlo_rebuild(uint32_t allowed, const char *const *lines,
	    size_t nlines, const char *host, char *out, size_t outsz,
	    uint32_t *offered_r);

/* tls.mode and tls.upstream (SPEC §4.7). */
enum policy_tls {
	POLICY_TLS_OFF,		/* STARTTLS removed and refused */
	POLICY_TLS_PASSTHROUGH,	/* relayed, then the bytes as they are */
	POLICY_TLS_INSPECT	/* answered by the proxy, dialog inspected */
};

enum policy_tls_upstream {
	POLICY_TLS_UP_OPPORTUNISTIC,	/* STARTTLS when offered */
	POLICY_TLS_UP_REQUIRED,		/* or the client's STARTTLS is 454 */
	POLICY_TLS_UP_NONE		/* plaintext */
};

/* "off", "passthrough", "inspect" -> enum policy_tls, or -1. */
int	policy_tls_parse(const char *);
/* "opportunistic", "required", "none" -> enum policy_tls_upstream, or -1. */
int	policy_tls_upstream_parse(const char *);

/*
 * STARTTLS in the EHLO reply the client sees, per tls.mode: off removes
 * it; passthrough keeps it as the upstream offered it (if allowed);
 * inspect offers it whatever the upstream said (the proxy answers it),
 * but never inside TLS (in_tls: the client's leg is encrypted already;
 * RFC 3207 §4.2). Returns the allowed mask to rebuild the reply with
 * and sets *add_r when the line must be added if the upstream's reply
 * lacks it.
 */
uint32_t policy_ehlo_starttls(uint32_t allowed, enum policy_tls, int in_tls,
	    int *add_r);

enum policy_banner {
	POLICY_BANNER_PASS,
	POLICY_BANNER_MASK,	/* every character after the code -> '*' */
	POLICY_BANNER_REPLACE	/* "220 <text>" */
};

/*
 * Render the greeting for the client from the upstream's greeting lines
 * (texts after "220-"/"220 "), multi-line kept multi-line. mask keeps
 * the code and the separator, replaces every other character with '*'
 * (MailGuard). replace sends one line "220 <text>". Writes CRLF lines
 * to out, NUL-terminated; returns the length or -1 if out is too small.
 */
int	policy_banner_render(enum policy_banner, const char *text, int code,
	    const char *const *lines, size_t nlines, char *out, size_t outsz);

/*
 * Which extension a command relies on, from its verb and its ESMTP
 * parameters (MAIL SIZE= -> SIZE, BODY=8BITMIME -> 8BITMIME,
 * BODY=BINARYMIME -> BINARYMIME, SMTPUTF8 -> SMTPUTF8, RET=/ENVID=/
 * NOTIFY=/ORCPT= -> DSN, AUTH= -> AUTH, BDAT -> CHUNKING, STARTTLS ->
 * STARTTLS, AUTH -> AUTH; any other MAIL/RCPT parameter -> OTHER).
 * Returns a mask of POLICY_EXT_*.
 */
uint32_t policy_cmd_needs(const struct smtp_cmd *, const char *params);

#endif
