// The cluster on the Redis engine with NATS between the nodes (broker = "nats": the relay
// broker, docs/engine.md "Relay brokers"): every scenario of cluster_suite.js, on a private
// nats-server.
'use strict';

const { NatsServer } = require('./nats_support');

let nats;
require('./cluster_suite').clusterSuite({
  brokerArgs: async () => {
    nats = await NatsServer.start();
    return ['--broker', 'nats', '--nats-url', nats.url, '--broker-prefix', 'e2e-cluster'];
  },
  stopBroker: async () => { if (nats) await nats.stop(); },
});
