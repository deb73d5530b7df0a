// The cluster on the Redis engine with its own broker, Redis Pub/Sub (cluster_suite.js).
'use strict';

require('./cluster_suite').clusterSuite();
