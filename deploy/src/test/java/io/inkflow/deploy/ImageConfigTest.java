package io.inkflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The images the manifests run are the ones the Jib configuration builds: same repository, name, tag and
 * main class, and the user the pods expect. Read from the poms as written (no Maven at test time), so a
 * change on one side that the other misses fails here.
 */
class ImageConfigTest {
  private static final Path ROOT = Path.of("..");

  @Test
  void everyWorkloadRunsTheImageJibBuildsForItsMainClass() throws Exception {
    Document parent = parse(ROOT.resolve("pom.xml"));
    String version = text(child(parent.getDocumentElement(), "version"));
    Map<String, String> props = properties(parent);
    String repository = props.get("inkflow.image.repository");
    assertThat(repository).isEqualTo(DeploymentSettings.production().imageRepository());
    assertThat(version).isEqualTo(DeploymentSettings.production().imageTag());
    assertThat(props.get("jib.skip")).as("no image is built unless asked").isEqualTo("true");
    Element parentJib = jib(parent);
    assertThat(text(path(parentJib, "configuration", "container", "user"))).isEqualTo(Long.toString(Manifests.IMAGE_USER));

    // main class → image, as Jib's configuration gives them
    Map<String, String> built = new HashMap<>();
    Element worker = jib(parse(ROOT.resolve("workers/pom.xml")));
    built.put(text(path(worker, "configuration", "container", "mainClass")), text(path(worker, "configuration", "to", "image")));
    assertThat(text(path(worker, "configuration", "from", "image"))).isEqualTo("${inkflow.image.cuda-jre}");
    assertThat(props.get("inkflow.image.cuda-jre")).contains("cudnn9");
    Element api = jib(parse(ROOT.resolve("api/pom.xml")));
    built.put(text(path(api, "configuration", "container", "mainClass")), text(path(api, "configuration", "to", "image")));
    Element apiPorts = path(api, "configuration", "container", "ports");
    assertThat(apiPorts.getAttribute("combine.children")).as("the API's port added to the parent's 8080, not replacing it").isEqualTo("append");
    assertThat(text(apiPorts)).isEqualTo(Integer.toString(Manifests.API_PORT));
    assertThat(properties(parse(ROOT.resolve("api/pom.xml"))).get("jib.skip")).isEqualTo("false");
    NodeList executions = jib(parse(ROOT.resolve("streams-app/pom.xml"))).getElementsByTagName("execution");
    for (int i = 0; i < executions.getLength(); i++) {
      Element e = (Element) executions.item(i);
      assertThat(e.getElementsByTagName("goals").getLength()).as("an execution bound to no goal, so no phase runs it").isZero();
      assertThat(e.getElementsByTagName("phase").getLength()).isZero();
      built.put(text(path(e, "configuration", "container", "mainClass")), text(path(e, "configuration", "to", "image")));
    }

    List<TypedManifests.Doc> docs = TypedManifests.readAll();
    int workloads = 0;
    for (TypedManifests.Doc doc : docs) {
      HasMetadata o = doc.typed();
      PodTemplateSpec pod = o instanceof Deployment d ? d.getSpec().getTemplate() : o instanceof StatefulSet s ? s.getSpec().getTemplate() : null;
      if (pod == null) {
        continue;
      }
      workloads++;
      String main = o.getMetadata().getAnnotations().get("inkflow.io/main-class");
      assertThat(built).as("a Jib image for %s", main).containsKey(main);
      String expected = built.get(main).replace("${inkflow.image.repository}", repository).replace("${project.version}", version);
      assertThat(pod.getSpec().getContainers().get(0).getImage()).as(doc.where()).isEqualTo(expected);
      assertThat(pod.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(Manifests.IMAGE_USER);
    }
    assertThat(workloads).isEqualTo(built.size()).isEqualTo(4);
  }

  private static Document parse(Path pom) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
  }

  private static Map<String, String> properties(Document pom) {
    Map<String, String> out = new HashMap<>();
    NodeList list = child(pom.getDocumentElement(), "properties").getChildNodes();
    for (int i = 0; i < list.getLength(); i++) {
      if (list.item(i) instanceof Element e) {
        out.put(e.getTagName(), e.getTextContent().trim());
      }
    }
    return out;
  }

  /** The jib-maven-plugin element of a pom (under build/plugins or build/pluginManagement/plugins). */
  private static Element jib(Document pom) {
    NodeList ids = pom.getElementsByTagName("artifactId");
    for (int i = 0; i < ids.getLength(); i++) {
      if (ids.item(i).getTextContent().trim().equals("jib-maven-plugin")) {
        return (Element) ids.item(i).getParentNode();
      }
    }
    throw new AssertionError("no jib-maven-plugin in " + pom.getDocumentURI());
  }

  private static Element path(Element from, String... names) {
    Element e = from;
    for (String n : names) {
      e = child(e, n);
    }
    return e;
  }

  private static Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    throw new AssertionError("no <" + name + "> under <" + parent.getTagName() + ">");
  }

  private static String text(Element e) {
    return e.getTextContent().trim();
  }
}
