package io.inkflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The served OpenAPI document parses without errors and lists exactly the routes the server registers. */
class OpenApiDocumentTest {
  @Test
  void theServedDocumentIsValidAndMatchesTheRoutes() throws Exception {
    try (ApiTestKit kit = new ApiTestKit(1 << 20)) {
      HttpResponse<String> r = kit.send("GET", "/v1/openapi.yaml", null, null, null);
      assertThat(r.statusCode()).isEqualTo(200);
      SwaggerParseResult parsed = new OpenAPIParser().readContents(r.body(), null, null);
      assertThat(parsed.getMessages()).isEmpty();
      OpenAPI api = parsed.getOpenAPI();
      Set<String> documented = new TreeSet<>();
      api.getPaths().forEach((path, item) -> item.readOperationsMap().keySet()
          .forEach(m -> documented.add(m.name().toUpperCase(Locale.ROOT) + " " + path)));
      assertThat(documented).isEqualTo(new TreeSet<>(kit.server.routeKeys()));
      assertThat(api.getComponents().getSecuritySchemes()).containsKey("bearer");
    }
  }
}
