/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-run-all - run every gceb job once, in pipeline order, each as its own
 * process, passing the options given to the jobs that take them. Exits 1 if
 * any job failed, after naming each one. For a manual run or a one-line
 * crontab; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_run_all_spec, argc, argv);
}
