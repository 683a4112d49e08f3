/*
 * librdkafka's mock cluster (rdkafka_mock.h) as a process of its own, for bench/e2e.ts: the
 * benchmark's in-memory peer written in C. One broker on 127.0.0.1 (a port of the kernel's
 * choosing). It prints "ready <host:port>" once the cluster runs, then reads commands on stdin,
 * one a line, answering each with one line:
 *
 *   create <topic> <partitions>   ->  "ok" or "error <text>"
 *
 * and exits when stdin closes or on SIGTERM. The mock answers no CreateTopics request, hence the
 * command. It keeps records in memory, and only the last 5 MiB (or 100,000 batches) of each
 * partition: older batches are dropped as new ones arrive (fixed in librdkafka's rdkafka_mock.c,
 * not settable from outside).
 *
 *   cc -O2 -o rdkafka-mock-bench mock.c $(pkg-config --cflags --libs rdkafka)
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        /* The handle only hosts the mock cluster's thread; it never connects anywhere. */
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "conf: %s\n", errstr);
                return 1;
        }
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "rd_kafka_new: %s\n", errstr);
                return 1;
        }
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
        if (!mc) {
                fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
                return 1;
        }
        printf("ready %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        /* SIGTERM ends the process at once: the default action; nothing here needs flushing. */
        char line[1024];
        while (fgets(line, sizeof(line), stdin)) {
                char topic[512];
                int partitions;
                if (sscanf(line, "create %511s %d", topic, &partitions) == 2 && partitions > 0) {
                        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, topic, partitions, 1);
                        if (err)
                                printf("error %s\n", rd_kafka_err2str(err));
                        else
                                printf("ok\n");
                } else {
                        printf("error unknown command\n");
                }
                fflush(stdout);
        }
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
