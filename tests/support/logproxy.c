/* SPDX-License-Identifier: Apache-2.0 */
/*
 * logproxy.c - gceb-test-proxy: a logging HTTP proxy on loopback for
 * tests/integration/it_proxy.c.
 *
 *     gceb-test-proxy PORT_FILE LOG_FILE
 *
 * Listens on 127.0.0.1, an ephemeral port, written to PORT_FILE. Every
 * request head a client sends (up to the blank line) is appended whole to
 * LOG_FILE, so a test can see what reached the proxy in clear. A CONNECT to
 * a loopback host (127.0.0.1 or localhost) gets "200" and a byte relay; any
 * other request gets 502 and is not forwarded. Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEAD_MAX 16384

static int connect_loopback(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		(void)close(fd);
		fd = -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy bytes both ways until either side closes. */
static void relay(int a, int b)
{
	struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
	char buf[16384];

	for (;;) {
		int i;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0 || write_all(p[1 - i].fd, buf, (size_t)n) < 0)
				return;
		}
	}
}

static void serve(int c, const char *log_path)
{
	char head[HEAD_MAX + 1], host[256], *end;
	unsigned long port = 0;
	size_t len = 0;
	int log, up = -1;

	while (len < HEAD_MAX) {
		ssize_t n = read(c, head + len, HEAD_MAX - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		head[len] = '\0';
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	head[len] = '\0';
	log = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (log >= 0) {
		(void)write_all(log, head, len);
		(void)close(log);
	}
	/* "CONNECT host:port HTTP/1.1": the host, then the port up to the space. */
	if (sscanf(head, "CONNECT %255[^:]:", host) == 1 && strchr(head, '\n')) {
		port = strtoul(strchr(head + 8, ':') + 1, &end, 10);
		if (*end == ' ' && port > 0 && port < 65536 &&
		    (!strcmp(host, "127.0.0.1") || !strcmp(host, "localhost")))
			up = connect_loopback((unsigned)port);
	}
	if (up >= 0) {
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
		char *rest = strstr(head, "\r\n\r\n") + 4;

		if (write_all(c, ok, sizeof(ok) - 1) == 0 &&
		    write_all(up, rest, len - (size_t)(rest - head)) == 0)
			relay(c, up);
		(void)close(up);
	} else {
		static const char bad[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
					  "Connection: close\r\n\r\n";

		(void)write_all(c, bad, sizeof(bad) - 1);
	}
	(void)close(c);
}

/* One child per connection, for ever. */
static void accept_forever(int fd, const char *log_path)
{
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (fork() == 0) {
			(void)close(fd);
			serve(c, log_path);
			_exit(0);
		}
		(void)close(c);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	char tmp[4096];
	bool written;
	FILE *f;
	int fd = -1, r = 0;

	if (argc != 3) {
		(void)fprintf(stderr, "usage: gceb-test-proxy PORT_FILE LOG_FILE\n");
		return 64;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGCHLD, SIG_IGN); /* no zombies from the connection children */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		perror("gceb-test-proxy: listen");
		r = 71;
		goto out;
	}
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f) {
		perror("gceb-test-proxy: port file");
		r = 73;
		goto out;
	}
	written = fprintf(f, "%u\n", ntohs(a.sin_port)) > 0;
	if (fclose(f) != 0 || !written || rename(tmp, argv[1]) < 0) {
		perror("gceb-test-proxy: port file");
		r = 73;
		goto out;
	}
	accept_forever(fd, argv[2]);
out:
	if (fd >= 0)
		(void)close(fd);
	return r;
}
