package spartan.client;

import java.util.List;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/** Tab completion: command names first, then user (or group) names from the REPL's state. */
final class NameCompleter implements Completer {
  private final ReplState state;

  NameCompleter(ReplState state) {
    this.state = state;
  }

  @Override
  public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
    List<String> words = line.words();
    int index = line.wordIndex();
    String first = words.isEmpty() ? "" : words.get(0);
    if (index == 0 && first.startsWith("/")) {
      Commands.NAMES.forEach(c -> candidates.add(new Candidate(c)));
      return;
    }
    if (first.equals("/group") && index == 1) {
      List.of("create", "join", "leave").forEach(c -> candidates.add(new Candidate(c)));
      return;
    }
    String sub = words.size() > 1 ? words.get(1) : null;
    boolean group = Commands.takesGroup(first, sub) && index == (first.equals("/group") ? 2 : 1);
    for (String n : group ? state.groups() : state.users()) {
      // Names come from the server; jline shows candidates as they are, so offer only clean ones.
      if (n.equals(TerminalText.clean(n))) {
        candidates.add(new Candidate(n));
      }
    }
  }
}
