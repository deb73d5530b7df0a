// The cluster on the Redis engine with RabbitMQ between the nodes (broker = "rabbitmq": the
// relay broker, docs/engine.md "Relay brokers"): every scenario of cluster_suite.js, on a
// private RabbitMQ node (~5 s to start).
'use strict';

const { RabbitMqServer } = require('./rabbitmq_support');

let rabbit;
require('./cluster_suite').clusterSuite({
  brokerArgs: async () => {
    rabbit = await RabbitMqServer.start();
    return ['--broker', 'rabbitmq', '--amqp-url', rabbit.url, '--broker-prefix', 'e2e-cluster'];
  },
  stopBroker: async () => { if (rabbit) await rabbit.stop(); },
});
