/*
 * The pause program of the benchmark's pause image, which the reference
 * runtime pulls as its sandbox image: a static C program, as the pause
 * image that containerd users run is. It holds the pod's namespaces by
 * doing nothing, exits 0 on SIGINT or SIGTERM and, as pid 1 of a shared
 * PID namespace, reaps the orphans re-parented to it.
 *
 * Built by `make bench`: cc -static -Os -s.
 */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig)
{
	(void)sig;
	_exit(0);
}

static void reap(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = stop;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return 1;
	sa.sa_handler = reap;
	sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
	if (sigaction(SIGCHLD, &sa, NULL))
		return 1;
	for (;;)
		pause();
}
