package io.inkflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.inkflow.api.ApiConfig;
import io.inkflow.api.ApiMain;
import io.inkflow.common.health.HttpSettings;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.streams.common.StreamsSettings;
import io.inkflow.streams.rewrite.PromptRewriteApp;
import io.inkflow.streams.rewrite.PromptRewriteConfig;
import io.inkflow.streams.scoring.ScoringApp;
import io.inkflow.streams.scoring.ScoringConfig;
import io.inkflow.workers.generate.GenerationWorkerMain;
import io.inkflow.workers.generate.WorkerConfig;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The committed manifests under {@code deploy/k8s/}: exactly what the generator writes, every object
 * typed with nothing unknown, and the deployment's invariants (topics as the catalogue says, KRaft with
 * three brokers, the autoscaler within the partitions, the worker's grace period, each container's
 * environment as its service reads it).
 */
class ManifestsTest {
  private static final DeploymentSettings PRODUCTION = DeploymentSettings.production();
  private static List<TypedManifests.Doc> docs;

  @BeforeAll
  static void read() throws IOException {
    docs = TypedManifests.readAll();
  }

  @Test
  void committedManifestsAreWhatTheGeneratorWrites() throws IOException {
    Map<String, String> rendered = Manifests.render(PRODUCTION);
    Set<String> committed = new TreeSet<>();
    try (Stream<Path> files = Files.list(TypedManifests.DIR)) {
      files.filter(p -> p.toString().endsWith(".yaml")).forEach(p -> committed.add(p.getFileName().toString()));
    }
    assertThat(committed).as("files in deploy/k8s (regenerate with scripts/deploy-manifests)").isEqualTo(new TreeSet<>(rendered.keySet()));
    for (Map.Entry<String, String> f : rendered.entrySet()) {
      assertThat(Files.readString(TypedManifests.DIR.resolve(f.getKey())))
          .as("deploy/k8s/%s differs from what the generator writes: run scripts/deploy-manifests", f.getKey())
          .isEqualTo(f.getValue());
    }
  }

  @Test
  void everyObjectIsTypedAndKeepsNoUnknownField() {
    assertThat(docs).hasSizeGreaterThan(20);
    int checked = 0;
    for (TypedManifests.Doc doc : docs) {
      if (doc.typed() == null) {
        assertThat(doc.tree().path("apiVersion").asText()).as(doc.where()).startsWith(TypedManifests.KEDA_GROUP);
        continue;
      }
      assertThat(TypedManifests.unknownFields(doc.typed())).as("fields the model does not know in %s", doc.where()).isEmpty();
      checked += TypedManifests.objectsChecked(doc.typed());
    }
    // The walk reaches the nested objects (containers, probes, listeners, storage), not only the tops.
    assertThat(checked).isGreaterThan(docs.size() * 5);
  }

  @Test
  void theUnknownFieldCheckCatchesMisspelledFieldsInEveryModelFamily() throws IOException {
    String kafkaTopic = """
        apiVersion: kafka.strimzi.io/v1
        kind: KafkaTopic
        metadata: {name: t}
        spec: {topicName: t, partitions: 3, replica: 3}
        """;
    String deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: w}
        spec:
          template:
            spec:
              containers:
                - name: c
                  image: i
                  readinessProbe: {httpGet: {path: /readyz, port: http}, periodSecond: 5}
        """;
    String podMonitor = """
        apiVersion: monitoring.coreos.com/v1
        kind: PodMonitor
        metadata: {name: m}
        spec: {podMetricsEndpoint: [{port: http}]}
        """;
    assertThat(TypedManifests.unknownFields(TypedManifests.read("t.yaml", kafkaTopic).get(0).typed()))
        .singleElement().asString().contains("spec").contains("replica=3");
    assertThat(TypedManifests.unknownFields(TypedManifests.read("d.yaml", deployment).get(0).typed()))
        .singleElement().asString().contains("readinessProbe").contains("periodSecond=5");
    assertThat(TypedManifests.unknownFields(TypedManifests.read("m.yaml", podMonitor).get(0).typed()))
        .singleElement().asString().contains("podMetricsEndpoint");
    assertThatThrownBy(() -> TypedManifests.read("x.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"))
        .hasMessageContaining("no typed model for v1 Pod");
  }

  @Test
  void oneKafkaTopicPerCatalogueTopicWithItsCountConfigsAndReplicas() {
    Topics catalogue = new Manifests(PRODUCTION).catalogue();
    Map<String, KafkaTopic> byName = new TreeMap<>();
    for (KafkaTopic t : typed(KafkaTopic.class)) {
      assertThat(byName.put(t.getSpec().getTopicName(), t)).as("two KafkaTopics for %s", t.getSpec().getTopicName()).isNull();
    }
    assertThat(byName.keySet()).isEqualTo(new TreeSet<>(catalogue.all().stream().map(Topic::name).toList()));
    for (Topic<?, ?> topic : catalogue.all()) {
      KafkaTopic k = byName.get(topic.name());
      assertThat(k.getSpec().getPartitions()).as(topic.name()).isEqualTo(topic.partitions());
      assertThat(k.getSpec().getReplicas()).as(topic.name()).isEqualTo(3);
      Map<String, String> config = new TreeMap<>();
      k.getSpec().getConfig().forEach((key, v) -> config.put(key, String.valueOf(v)));
      assertThat(config).as(topic.name()).isEqualTo(new TreeMap<>(topic.configs()));
      assertThat(config).as(topic.name()).containsEntry("min.insync.replicas", "2");
      assertThat(k.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", PRODUCTION.kafkaCluster());
    }
    // Co-partitioned topics keep equal counts in the deployment too.
    for (Topics.CoPartition group : Topics.CO_PARTITIONED) {
      assertThat(group.topics().stream().map(t -> byName.get(t).getSpec().getPartitions()).distinct()).hasSize(1);
    }
  }

  @Test
  void aPrefixThatMakesNoObjectNameIsRefusedAndAValidOneIsCarriedToEveryPod() {
    DeploymentSettings p = PRODUCTION;
    DeploymentSettings underscore = new DeploymentSettings(p.namespace(), p.kafkaCluster(), p.brokers(), p.controllers(), p.brokerStorage(),
        p.imageRepository(), p.imageTag(), "v2_", p.topics(), p.registryUrl(), p.s3Bucket(), p.s3Endpoint(), p.awsRegion(), p.peReplicas(),
        p.scoringReplicas(), p.standbyReplicas(), p.workerMinReplicas(), p.workerMaxReplicas(), p.gpu(), p.measuredLongestBatch(),
        p.targetBacklog());
    assertThatThrownBy(() -> Manifests.render(underscore)).hasMessageContaining("topic v2_prompt-requests makes no Kubernetes object name");
    DeploymentSettings dotted = new DeploymentSettings(p.namespace(), p.kafkaCluster(), p.brokers(), p.controllers(), p.brokerStorage(),
        p.imageRepository(), p.imageTag(), "v2.", p.topics(), p.registryUrl(), p.s3Bucket(), p.s3Endpoint(), p.awsRegion(), p.peReplicas(),
        p.scoringReplicas(), p.standbyReplicas(), p.workerMinReplicas(), p.workerMaxReplicas(), p.gpu(), p.measuredLongestBatch(),
        p.targetBacklog());
    Map<String, String> files = Manifests.render(dotted);
    assertThat(files.get("20-topics.yaml")).contains("topicName: \"v2.generation-jobs\"");
    assertThat(files.get("51-worker-autoscaling.yaml")).contains("topic: \"v2.generation-jobs\"");
    assertThat(files.get("50-worker.yaml")).contains("name: \"INKFLOW_TOPIC_PREFIX\"\n          value: \"v2.\"");
  }

  @Test
  void kafkaRunsInKraftModeOnThreeBrokersWithDurableInternalTopics() {
    List<KafkaNodePool> pools = typed(KafkaNodePool.class);
    int brokers = pools.stream().filter(p -> p.getSpec().getRoles().contains(ProcessRoles.BROKER)).mapToInt(p -> p.getSpec().getReplicas()).sum();
    int controllers = pools.stream().filter(p -> p.getSpec().getRoles().contains(ProcessRoles.CONTROLLER))
        .mapToInt(p -> p.getSpec().getReplicas()).sum();
    assertThat(brokers).isEqualTo(3);
    assertThat(controllers).as("KRaft controllers (an odd quorum)").isOdd().isGreaterThanOrEqualTo(3);
    Kafka kafka = single(Kafka.class);
    assertThat(pools).allSatisfy(p -> assertThat(p.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", kafka.getMetadata().getName()));
    Map<String, Object> config = kafka.getSpec().getKafka().getConfig();
    assertThat(config).containsEntry("min.insync.replicas", 2).containsEntry("default.replication.factor", 3)
        .containsEntry("transaction.state.log.replication.factor", 3).containsEntry("transaction.state.log.min.isr", 2)
        .containsEntry("offsets.topic.replication.factor", 3);
    assertThat(kafka.getSpec().getEntityOperator().getTopicOperator()).as("the topic operator applies the KafkaTopics").isNotNull();
    assertThat(kafka.getSpec().getKafkaExporter()).as("kafka-exporter: consumer lag for the dashboard").isNotNull();
    assertThat(kafka.getSpec().getKafka().getListeners()).anySatisfy(l -> assertThat(l.getPort()).isEqualTo(9092));
    assertThat(PRODUCTION.bootstrapServers()).startsWith(kafka.getMetadata().getName() + "-kafka-bootstrap.");
  }

  @Test
  void theAutoscalerScalesWorkersOnGenerationJobsLagWithinItsPartitions() {
    JsonNode scaled = docs.stream().filter(d -> d.kind().equals("ScaledObject")).map(TypedManifests.Doc::tree).findFirst().orElseThrow();
    JsonNode trigger = scaled.path("spec").path("triggers").get(0);
    assertThat(trigger.path("type").asText()).isEqualTo("kafka");
    String topic = trigger.path("metadata").path("topic").asText();
    KafkaTopic jobs = typed(KafkaTopic.class).stream().filter(t -> t.getSpec().getTopicName().equals(topic)).findFirst().orElseThrow();
    assertThat(topic).isEqualTo(PRODUCTION.topicPrefix() + Topics.GENERATION_JOBS);
    int max = scaled.path("spec").path("maxReplicaCount").asInt(-1);
    assertThat(max).as("maxReplicaCount against the %d partitions of %s", jobs.getSpec().getPartitions(), topic)
        .isPositive().isLessThanOrEqualTo(jobs.getSpec().getPartitions());
    Deployment worker = deployment(GenerationWorkerMain.class);
    assertThat(scaled.path("spec").path("scaleTargetRef").path("name").asText()).isEqualTo(worker.getMetadata().getName());
    Map<String, String> env = env(worker.getSpec().getTemplate());
    assertThat(trigger.path("metadata").path("consumerGroup").asText()).isEqualTo(WorkerConfig.fromEnv(env).groupId());
    assertThat(trigger.path("metadata").path("bootstrapServers").asText()).isEqualTo(env.get("INKFLOW_BOOTSTRAP_SERVERS"));
    // ceil(images/s per GPU × backlog): SDXL 1024 px at 12.18 it/s and 50 steps is 0.2436 images/s; 60 s of it is 14.6 jobs.
    assertThat(trigger.path("metadata").path("lagThreshold").asText()).isEqualTo(Long.toString(PRODUCTION.lagThreshold())).isEqualTo("15");
    assertThatThrownBy(() -> new DeploymentSettings("n", "k", 3, 3, "1Gi", "r", "t", "", TopicSettings.uniform(6), "u", "b", null, "r",
        1, 1, 1, 1, 7, PRODUCTION.gpu(), Duration.ofSeconds(1), Duration.ofSeconds(60)))
        .hasMessageContaining("workerMaxReplicas 7 exceeds the 6 partitions of generation-jobs");
  }

  @Test
  void theGpuWorkerRunsOneProcessPerGpuAndIsGivenTimeToDrain() {
    Deployment deployment = deployment(GenerationWorkerMain.class);
    PodTemplateSpec pod = deployment.getSpec().getTemplate();
    assertThat(deployment.getMetadata().getAnnotations()).containsEntry("inkflow.io/main-class", GenerationWorkerMain.class.getName());
    assertThat(pod.getSpec().getContainers()).hasSize(1);
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getResources().getLimits()).containsKey("nvidia.com/gpu");
    assertThat(c.getResources().getLimits().get("nvidia.com/gpu").getNumericalAmount()).isEqualByComparingTo("1");
    WorkerConfig config = WorkerConfig.fromEnv(env(pod));
    assertThat(config.provider().name()).isEqualTo("CUDA");
    assertThat(config.deviceId()).as("the one GPU the pod sees").isZero();
    Duration needed = PRODUCTION.longestBatch().plus(config.drainTimeout());
    assertThat(Duration.ofSeconds(pod.getSpec().getTerminationGracePeriodSeconds()))
        .as("grace period against the longest batch (%s) plus the drain timeout (%s)", PRODUCTION.longestBatch(), config.drainTimeout())
        .isGreaterThanOrEqualTo(needed.plus(GenerationWorkerMain.EXIT_MARGIN));
    assertThat(PRODUCTION.longestBatch()).as("SDXL, batch 4 × 50 steps at 12.18 it/s").isEqualTo(Duration.ofNanos(16_420_361_248L));
    assertThat(config.claimDir()).isNotNull();
    assertThat(c.getVolumeMounts()).extracting(VolumeMount::getMountPath).contains(config.claimDir().toString());
  }

  @Test
  void theStreamsKeepStateOnVolumesWithStandbyReplicas() {
    List<StatefulSet> sets = typed(StatefulSet.class);
    assertThat(sets).extracting(s -> s.getMetadata().getAnnotations().get("inkflow.io/main-class"))
        .containsExactlyInAnyOrder(PromptRewriteApp.class.getName(), ScoringApp.class.getName());
    for (StatefulSet set : sets) {
      Container c = set.getSpec().getTemplate().getSpec().getContainers().get(0);
      Map<String, String> env = env(set.getSpec().getTemplate());
      StreamsSettings streams = set.getMetadata().getAnnotations().get("inkflow.io/main-class").equals(PromptRewriteApp.class.getName())
          ? PromptRewriteConfig.fromEnv(env).streams() : ScoringConfig.fromEnv(env).streams();
      Properties props = streams.streamsProperties("app");
      assertThat(Integer.parseInt(String.valueOf(props.get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG)))).as(set.getMetadata().getName())
          .isGreaterThanOrEqualTo(1);
      assertThat(set.getSpec().getReplicas()).as("a standby needs another instance").isGreaterThanOrEqualTo(2);
      String claim = set.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName();
      assertThat(c.getVolumeMounts()).filteredOn(m -> m.getName().equals(claim)).extracting(VolumeMount::getMountPath)
          .containsExactly(streams.stateDir().toString());
      assertThat(props.get(StreamsConfig.REPLICATION_FACTOR_CONFIG)).isEqualTo(3);
    }
  }

  @Test
  void everyServiceIsProbedScrapedBudgetedAndReadsItsOwnVariables() {
    List<PodMonitor> monitors = typed(PodMonitor.class);
    List<PodDisruptionBudget> budgets = typed(PodDisruptionBudget.class);
    List<PodTemplateSpec> pods = new ArrayList<>();
    List<String> mains = new ArrayList<>();
    typed(StatefulSet.class).forEach(s -> {
      pods.add(s.getSpec().getTemplate());
      mains.add(s.getMetadata().getAnnotations().get("inkflow.io/main-class"));
    });
    typed(Deployment.class).forEach(d -> {
      pods.add(d.getSpec().getTemplate());
      mains.add(d.getMetadata().getAnnotations().get("inkflow.io/main-class"));
    });
    assertThat(pods).hasSize(4);
    for (int i = 0; i < pods.size(); i++) {
      PodTemplateSpec pod = pods.get(i);
      Map<String, String> labels = pod.getMetadata().getLabels();
      Container c = pod.getSpec().getContainers().get(0);
      assertThat(c.getResources().getRequests()).as(mains.get(i)).containsKeys("cpu", "memory");
      assertThat(c.getResources().getLimits()).as(mains.get(i)).containsKey("memory");
      int port = c.getPorts().stream().filter(p -> p.getName().equals(Manifests.HTTP)).findFirst().orElseThrow().getContainerPort();
      HttpSettings http = http(mains.get(i), env(pod));
      assertThat(http.bind()).as("bound to the pod's IP").isEqualTo(POD_IP);
      assertThat(http.port()).as("the port the service serves is the container's http port").isEqualTo(port);
      assertProbe(c.getLivenessProbe(), "/healthz");
      assertProbe(c.getStartupProbe(), "/healthz");
      assertProbe(c.getReadinessProbe(), "/readyz");
      assertThat(budgets).as("a PodDisruptionBudget for %s", mains.get(i))
          .anySatisfy(b -> assertThat(labels).containsAllEntriesOf(b.getSpec().getSelector().getMatchLabels()));
      assertThat(monitors).as("a PodMonitor scraping %s", mains.get(i)).anySatisfy(m -> {
        assertThat(labels).containsAllEntriesOf(m.getSpec().getSelector().getMatchLabels());
        assertThat(m.getSpec().getPodMetricsEndpoints()).anySatisfy(e -> {
          assertThat(e.getPort()).isEqualTo(Manifests.HTTP);
          assertThat(e.getPath()).isEqualTo("/metrics");
        });
      });
    }
  }

  @Test
  void theApiServesItsPortThroughAClusterIpServiceAndReadsHashedTokensFromItsSecret() {
    Deployment deployment = deployment(ApiMain.class);
    PodTemplateSpec pod = deployment.getSpec().getTemplate();
    Container c = pod.getSpec().getContainers().get(0);
    ApiConfig config = ApiConfig.fromEnv(env(pod));
    assertThat(config.bind()).as("bound to the pod's IP").isEqualTo(POD_IP);
    int apiPort = c.getPorts().stream().filter(p -> p.getName().equals(Manifests.API_PORT_NAME)).findFirst().orElseThrow().getContainerPort();
    assertThat(config.port()).as("the API's port is the container's api port").isEqualTo(apiPort);
    assertThat(config.http().port()).as("probes and metrics apart from the API's routes").isNotEqualTo(apiPort);

    Service service = typed(Service.class).stream().filter(s -> s.getMetadata().getName().equals(deployment.getMetadata().getName()))
        .findFirst().orElseThrow();
    assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(service.getSpec().getClusterIP()).as("not headless: clients reach the API through the Service").isNull();
    assertThat(pod.getMetadata().getLabels()).containsAllEntriesOf(service.getSpec().getSelector());
    assertThat(service.getSpec().getPorts()).extracting(ServicePort::getPort, p -> p.getTargetPort().getStrVal())
        .containsExactly(tuple(apiPort, Manifests.API_PORT_NAME));

    // The tokens file is mounted from the API's Secret; pepper and webhook secret come from it too, never as literals.
    VolumeMount tokens = c.getVolumeMounts().stream().filter(m -> config.tokensFile().startsWith(m.getMountPath())).findFirst().orElseThrow();
    assertThat(tokens.getReadOnly()).isTrue();
    String secretName = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(tokens.getName())).findFirst().orElseThrow()
        .getSecret().getSecretName();
    Secret secret = typed(Secret.class).stream().filter(s -> s.getMetadata().getName().equals(secretName)).findFirst().orElseThrow();
    assertThat(secret.getStringData()).containsKey(config.tokensFile().getFileName().toString());
    for (String name : List.of("INKFLOW_API_TOKEN_PEPPER", "INKFLOW_API_WEBHOOK_SECRET", "INKFLOW_S3_SECRET_KEY")) {
      EnvVar v = c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow();
      assertThat(v.getValue()).as(name).isNull();
      assertThat(v.getValueFrom().getSecretKeyRef()).as(name).isNotNull();
      if (name.startsWith("INKFLOW_API_")) {
        assertThat(secret.getStringData()).containsKey(v.getValueFrom().getSecretKeyRef().getKey());
      }
    }
    assertThat(config.webhookSecret()).as("webhooks are on, so instances must not deliver twice").isNotNull();
    assertThat(deployment.getSpec().getReplicas()).as("every instance delivers every due webhook: one instance").isEqualTo(1);
    assertThat(deployment.getSpec().getStrategy().getType()).as("no second instance during a rollout either").isEqualTo("Recreate");
  }

  private static void assertProbe(Probe probe, String path) {
    assertThat(probe).isNotNull();
    assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
    assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo(Manifests.HTTP);
  }

  /** The service's HTTP settings, read from the pod's environment by the service's own loader. */
  private static HttpSettings http(String main, Map<String, String> env) {
    if (main.equals(PromptRewriteApp.class.getName())) {
      return PromptRewriteConfig.fromEnv(env).http();
    }
    if (main.equals(ScoringApp.class.getName())) {
      return ScoringConfig.fromEnv(env).http();
    }
    if (main.equals(ApiMain.class.getName())) {
      return ApiConfig.fromEnv(env).http();
    }
    assertThat(main).isEqualTo(GenerationWorkerMain.class.getName());
    return WorkerConfig.fromEnv(env).http();
  }

  /** The container's environment as the process would see it; values from Secrets or the pod are placeholders. */
  /** An address the kubelet could give a pod, standing in for {@code status.podIP}. */
  private static final String POD_IP = "10.42.7.19";

  private static Map<String, String> env(PodTemplateSpec pod) {
    Map<String, String> env = new HashMap<>();
    for (EnvVar v : pod.getSpec().getContainers().get(0).getEnv()) {
      if (v.getValueFrom() == null) {
        env.put(v.getName(), v.getValue());
      } else if (v.getValueFrom().getFieldRef() != null && "status.podIP".equals(v.getValueFrom().getFieldRef().getFieldPath())) {
        env.put(v.getName(), POD_IP); // what the kubelet puts there
      } else {
        env.put(v.getName(), "from-" + v.getName().toLowerCase());
      }
    }
    return env;
  }

  private static <T> List<T> typed(Class<T> type) {
    return docs.stream().map(TypedManifests.Doc::typed).filter(type::isInstance).map(type::cast).toList();
  }

  private static Deployment deployment(Class<?> main) {
    List<Deployment> found = typed(Deployment.class).stream()
        .filter(d -> main.getName().equals(d.getMetadata().getAnnotations().get("inkflow.io/main-class"))).toList();
    assertThat(found).as("the Deployment of %s", main.getName()).hasSize(1);
    return found.get(0);
  }

  private static <T> T single(Class<T> type) {
    List<T> all = typed(type);
    assertThat(all).as(type.getSimpleName()).hasSize(1);
    return all.get(0);
  }
}
