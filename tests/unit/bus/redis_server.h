/* redis_server.h — a private redis-server for the bus unit tests: a free
 * loopback port, no persistence, killed with the test process. */
#ifndef CH_TEST_REDIS_SERVER_H
#define CH_TEST_REDIS_SERVER_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/chathub-bus-XXXXXX";
static int port;
static pid_t redis_pid;

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(s, (struct sockaddr *)&a, sizeof a);
	socklen_t n = sizeof a;
	getsockname(s, (struct sockaddr *)&a, &n);
	close(s);
	return ntohs(a.sin_port);
}

static void redis_start(void)
{
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	redis_pid = fork();
	if (redis_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives a test that timed out or crashed */
		int null = open("/dev/null", O_WRONLY);
		if (chdir(dir) || null < 0)
			_exit(127);
		dup2(null, 1); /* its start-up banner and warnings are not ours to show */
		execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "", "--appendonly",
		       "no", "--loglevel", "warning", (char *)NULL);
		_exit(127);
	}
}

static void redis_kill(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGKILL);
		waitpid(redis_pid, NULL, 0);
	}
	redis_pid = 0;
}

#endif
