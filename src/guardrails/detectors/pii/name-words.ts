// Word lists and context patterns of the NAME rule (name.ts).

/** Titles that mark the following words as a person's name. */
export const HONORIFICS = new Set([
  "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lady", "lord", "rev", "fr", "capt",
  "captain", "sgt", "lt", "col", "gen", "mme", "mlle", "madame", "monsieur", "herr", "frau", "señor", "señora",
  "sr", "sra", "don", "doña", "dona", "signor", "signora", "officer", "detective", "judge",
]);

/** Lower-case particles inside names ("Willemine ten Pas", "Ludwig van Beethoven"). */
export const PARTICLES = new Set(["van", "von", "de", "der", "den", "del", "della", "di", "da", "dos", "das", "du", "la", "le", "ten", "ter", "bin", "binti", "al", "el"]);

/** Generational suffixes that may close a name. */
export const SUFFIXES = new Set(["jr", "sr", "ii", "iii", "iv"]);

/** Form labels and chat roles that head a "Label: value" line. */
export const LABELS = new Set([
  "bot", "user", "assistant", "system", "human", "ai", "agent", "customer", "note", "subject", "re", "fwd", "q", "a",
  "question", "answer", "date", "time", "name", "phone", "email", "e-mail", "address", "website", "mobile", "desk", "fax",
  "where", "when", "who", "what", "why", "how", "to", "from", "cc", "bcc", "title", "company", "position", "office",
]);

/** Capitalised words that may lead a name without making the run a title ("Hi Freddy", "Dear Ann"). */
export const LEADERS = new Set([
  "hi", "hello", "hey", "dear", "thanks", "thank", "the", "a", "an", "my", "our", "your", "his", "her", "ask", "tell",
  "call", "meet", "and", "with", "from", "by", "to", "for", "of", "at", "in", "on", "is", "was", "maybe", "producer",
  "director", "songwriter", "commenter", "singer", "player", "have", "has", "why", "when", "where", "what", "who", "how",
]);

/** Given names that are also everyday words: weak alone, strong next to another name. */
export const AMBIGUOUS = new Set([
  "will", "may", "june", "april", "august", "mark", "bill", "rose", "grace", "hope", "joy", "faith", "chase", "dawn",
  "summer", "autumn", "sunny", "ray", "rich", "gene", "pat", "sue", "art", "guy", "max", "ken", "dean", "carol", "frank",
  "iris", "ivy", "lily", "holly", "jack", "jean", "jade", "amber", "ruby", "pearl", "crystal", "cliff", "brook", "glen",
  "miles", "wade", "victor", "king", "young", "long", "white", "brown", "black", "green", "gray", "grey", "bell",
  "little", "love", "page", "price", "hunter", "cook", "baker", "destiny", "christian", "harmony", "justice", "an",
  "major", "sky", "star", "river", "forest", "storm", "nova", "angel", "precious", "lane", "drew", "sandy", "rusty",
  "buck", "bob", "rob", "sam", "tom", "don", "van", "lee", "hall", "ward", "wood", "case", "more", "else", "chance",
]);

/** Typical surname endings across European and Asian languages. */
export const SURNAME_ENDINGS = /(?:son|sen|ez|ski|ska|sky|ová|ova|ov|ev|eva|ić|ovich|evich|escu|ian|yan|poulos|ini|etti|elli|dóttir|stein|berg|mann|ner|ger|ich|czyk|wicz|oglu|oğlu|aki|ishi|moto|yama|kawa|uchi|aho|nen|inen)$/;

/** Latin letters with diacritics: more common in names than in English words. */
export const NON_ASCII_LETTER = /[\u00C0-\u024F\u1E00-\u1EFF]/;

/** A name follows ("my name is", "named", "call me"): even an ordinary word is taken. */
export const NAMING_CUE = /(?:\bname(?:'s| is| was|:| =|\?)|\bnamed(?: him| her| it| them| me)?|\bcalled|\bcall(?:s|ed)? (?:me|him|her)|\bknown as|\bgoes by)[\s,:]*$/i;
/** A name usually follows. */
export const STRONG_CUE = /\b(?:i'?m|i am|this is|signed|regards,?|sincerely,?|dear|hi|hello|hey|contact person:?|speak (?:to|with)|ask for|said to|shouted at|says)[\s,:]*$/i;
/** Words before a person. */
export const PERSON_LEFT = /(?:\b(?:said|says|asked|told|by|with|meet|met|ask|tell|thank|thanks|son|daughter|wife|husband|brother|sister|mother|father|mom|dad|friend|boss|manager|colleague|partner|kid|child|grandfather|grandmother|fiancée?|cousin|nephew|niece|assistant to|songwriter|producer|player|singer|director|author|actor|actress|commenter|starring|features|directed by|accounts with|add|added|remove|beneficiary|guardian|leave me|gender of|under)|[“"])[\s,:]*$/i;
/** Words after a person. */
export const PERSON_RIGHT = /^(?:\s*(?:said|says|shouted|asked|told|replied|wrote|explained|answered|smiled|laughed|spent|began|became|worked|lives|lived|works|flew|grew up|was born|will be|has been|is (?:very|so|from|my|our|his|her|a \d+[- ]year)|was (?:influenced|born|a \d+)|had given|and (?:his|her|their)\b|were\b|concert|novel|version|fan\b)|\s*:\s*["“]|,\s*(?:can|could|would|will|please|i|we|you|do|did|are|is|have|thanks|thank|the)\b)/i;
/** Words before a place. */
export const PLACE_LEFT = /\b(?:in|at|near|into|across|visit|visiting|grew up in|live in|lives in|based in|(?:moved|flew|went|go|going|travel(?:l?ing)?|trip|drove|driving|fly|flying|welcome|back|came|coming|move|moving|relocated|route) to|(?:comes?|came|am|is|are|originally|here|born|be|moved) from|city of|town of|state of|city|town|village|country|province|county|region)\s+$/i;
/** Words that begin place names. */
export const PLACE_PREFIX = /\b(?:St\.?|Saint|San|Santa|Port|Fort|Mount|Mt\.?|Lake|Cape|New|North|South|East|West|Upper|Lower)\s+$/;
/** Words before an organisation. */
export const ORG_LEFT = /\b(?:work for|works for|worked for|work at|works at|joined|employed by|company|at the)\s+$/i;
/** Words after an organisation or a place. */
export const ORG_RIGHT = /^\s+(?:office|company|orchestra|band|team|group|corporation|headquarters|is a \d|airport|river|city|street|inc\b|ltd\b|llc\b)/i;
/** A house number after the run: a street named after a person ("Joaquin Suarez 2906"). */
export const STREET_NUMBER_RIGHT = /^ \d{1,5}[A-Za-z]?\b(?![ -]?(?:years?|yrs?|y\/o|yo)\b)/;
/** What joins the items of a list of names. */
export const LIST_JOIN = /^(?:,\s*|\s+and\s+|\s*&\s*)$/;
