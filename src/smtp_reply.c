/* placeholder */
typedef int smtpproxy_placeholder;
