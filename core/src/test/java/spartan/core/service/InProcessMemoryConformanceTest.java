package spartan.core.service;

import spartan.core.ChatService;
import spartan.core.testing.ChatServiceConformance;

/** The conformance suite against the in-process service on the memory store. */
class InProcessMemoryConformanceTest extends ChatServiceConformance {
  @Override
  protected ChatService bind(LocalChatService core) {
    return new ForwardingChatService(core);
  }
}
