// Basalt's own harmful chat messages, generated from short hand-written phrase lists: threats
// against a person and direct insults, the commonest harmful messages a chat guardrail sees.
// The licensed sets barely hold them: HateCheck's threats target protected groups, the
// forbidden questions are questions, OpenAI's set is mostly forum posts. Without them the
// perceptron, which reads whole-sentence meaning, let "I'm going to break his legs" through.
// Benign sentences with the same verbs ("beat the eggs", "kill the process", "shoot a video")
// and friendly second-person sentences are the negatives. Split like every other row; the
// benchmark leaves the set out.
import { BENIGN, row, type CorpusRow } from "./rows.ts";

const THREAT_OPENERS = ["I'm going to", "I will", "I swear I'll", "Tomorrow I'm gonna", "We are going to", "Someone needs to", "I want to", "I'll find you and"] as const;

/** Acts with a target slot ("T"); the target is filled from TARGETS. */
const THREAT_ACTS = [
  "beat T until they can't walk",
  "stab T",
  "shoot T in the head",
  "break T's legs",
  "strangle T with a rope",
  "burn T's house down with them inside",
  "smash T's face in",
  "kill T",
  "slit T's throat",
  "run T over with my car",
  "put a bullet in T",
  "hurt T so badly they end up in hospital",
] as const;

const TARGETS = ["him", "her", "you", "my neighbour", "my ex", "my boss", "that cashier", "your little brother", "the teacher", "your whole family"] as const;
const THREAT_TAILS = ["", " tonight", " after school", " when nobody is watching", ", and I'll enjoy it", ". Watch your back."] as const;

/** Graphic descriptions of violence against a person. */
const ASSAULTS = [
  "He kicked her in the stomach again and again while she lay on the floor.",
  "They dragged the man out of his car and beat him with metal pipes until he stopped moving.",
  "She stabbed him twelve times and left him bleeding in the kitchen.",
  "The gang tied him up and cut off two of his fingers.",
  "He held the boy's head under the water until the struggling stopped.",
  "I grabbed her by the hair and slammed her face into the wall.",
  "They set the homeless man on fire and filmed it laughing.",
  "He shot the clerk in the chest and stepped over the body to empty the till.",
  "She hit the dog with a hammer until it stopped whimpering.",
  "We cornered him in the alley and stomped on his head.",
] as const;

const INSULT_OPENERS = ["You are a", "You're such a", "Shut up, you", "Nobody asked you, you", "Get lost, you", "Listen here, you"] as const;
const INSULT_ADJECTIVES = ["pathetic", "worthless", "disgusting", "useless", "brainless", "spineless", "fat", "ugly"] as const;
const INSULT_NOUNS = ["idiot", "loser", "moron", "piece of garbage", "waste of space", "clown", "failure", "creep"] as const;
const INSULT_TAILS = ["", " and everyone hates you", ". Go crawl back under your rock.", ", just disappear", ". Your mother must be ashamed.", " and you always will be"] as const;

/** Benign sentences with violent verbs or second-person address. */
const BENIGN_LOOKALIKES = [
  "Beat the eggs until stiff peaks form, then fold in the flour.",
  "How do I kill a Python process that hangs?",
  "We're going to shoot a video in the park tonight.",
  "She absolutely killed it at the talent show.",
  "I'm going to crush this exam tomorrow.",
  "Break a leg at your audition tonight!",
  "My little brother beat me at chess again.",
  "Smash the garlic with the flat of your knife.",
  "Run the script again after you update the path.",
  "I could kill for a coffee right now.",
  "The boxer knocked out his opponent in the third round.",
  "Burn the files to a DVD and mail it to the studio.",
  "You are a brilliant colleague and everyone loves working with you.",
  "You're such a kind friend, thank you for the flowers.",
  "Shut up, you're kidding! You got the job?",
  "Get lost in a good book this weekend.",
  "Listen here, you two: dinner is at seven, don't be late.",
  "I'll find you at the station and we can grab lunch.",
  "I want to strangle the weeds before they take over the garden.",
  "The teacher shot down my idea, but politely.",
  "Tomorrow I'm gonna hit the gym before work.",
  "My boss will kill me if I miss another deadline, haha.",
  "Stab the potatoes with a fork before baking them.",
  "He fired the starting pistol and the runners took off.",
  "The documentary explains how the police investigated the stabbing.",
  "Cut off the dead branches before winter.",
  "This stupid printer jams every single time.",
  "I feel like a failure after that interview, any advice?",
  "My cat is a lazy clown and I love her.",
  "What is the best way to punch holes in leather?",
  "Hit the road early to avoid traffic.",
  "The storm will beat against the windows all night.",
  "We need to kill the noise in this recording.",
  "Can you help me write a firm but polite complaint to my landlord?",
  "The novel's villain is a cruel man who is defeated in the last chapter.",
  "Put a bullet point before every item on the list.",
  "Drown the salad in dressing, that's how I like it.",
  "You're a lifesaver, thanks for covering my shift.",
  "Tear the bread into small pieces for the ducks.",
  "I'm going to destroy my brother at Mario Kart tonight.",
] as const;

/** Every threat: one act per opener × target, chosen by position so each act and target recurs. */
function threats(): string[] {
  const out: string[] = [];
  THREAT_OPENERS.forEach((opener, i) => {
    TARGETS.forEach((target, j) => {
      const act = THREAT_ACTS[(i * 5 + j * 7) % THREAT_ACTS.length]!.replace(/\bT\b/g, target);
      out.push(`${opener} ${act}${THREAT_TAILS[(i + j) % THREAT_TAILS.length]}${/[.!?]$/.test(THREAT_TAILS[(i + j) % THREAT_TAILS.length]!) ? "" : "."}`);
    });
  });
  return out;
}

/** Every insult: opener × adjective, with a noun and a tail chosen by position. */
function insults(): string[] {
  const out: string[] = [];
  INSULT_OPENERS.forEach((opener, i) => {
    INSULT_ADJECTIVES.forEach((adjective, j) => {
      const tail = INSULT_TAILS[(i * 3 + j) % INSULT_TAILS.length]!;
      out.push(`${opener} ${adjective} ${INSULT_NOUNS[(i + j * 3) % INSULT_NOUNS.length]}${tail}${/[.!?]$/.test(tail) ? "" : "."}`);
    });
  });
  return out;
}

/** The generated threats, assaults, insults and their benign look-alikes. */
export function syntheticHarmRows(): CorpusRow[] {
  const set = "synthetic-harm";
  return [
    ...threats().map((text) => row({ text, set, labels: { VIOLENCE: 1, PROMPT_ATTACK: 0 }, tag: "threat" })),
    ...ASSAULTS.map((text) => row({ text, set, labels: { VIOLENCE: 1, PROMPT_ATTACK: 0 }, tag: "assault" })),
    ...insults().map((text) => row({ text, set, labels: { INSULTS: 1, PROMPT_ATTACK: 0 }, tag: "insult" })),
    ...BENIGN_LOOKALIKES.map((text) => row({ text, set, labels: BENIGN, tag: "benign" })),
  ];
}
