package io.inkflow.api.console;

import java.util.Locale;
import java.util.Map;
import org.thymeleaf.TemplateEngine;
import org.thymeleaf.context.Context;
import org.thymeleaf.templatemode.TemplateMode;
import org.thymeleaf.templateresolver.ClassLoaderTemplateResolver;

/**
 * The console's HTML templates (Thymeleaf, from {@code io/inkflow/api/console/templates/}): values reach a
 * page only through {@code th:text} and attribute processors, which escape them, so user text such as a
 * prompt renders as text. Templates are parsed once and cached.
 */
final class ConsolePages {
  private final TemplateEngine engine = new TemplateEngine();

  ConsolePages() {
    ClassLoaderTemplateResolver resolver = new ClassLoaderTemplateResolver(ConsolePages.class.getClassLoader());
    resolver.setPrefix("io/inkflow/api/console/templates/");
    resolver.setSuffix(".html");
    resolver.setTemplateMode(TemplateMode.HTML);
    resolver.setCharacterEncoding("UTF-8");
    resolver.setCacheable(true);
    engine.setTemplateResolver(resolver);
  }

  String render(String template, Map<String, Object> vars) {
    return engine.process(template, new Context(Locale.ROOT, vars));
  }
}
