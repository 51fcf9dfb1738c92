/**
 * The quotes qotd serves when `quotesFile` is empty: short lines from works long in the public
 * domain, each under RFC 865's 512 characters (a unit test holds them to it), in plain ASCII as the
 * RFC recommends.
 */
export const BUILTIN_QUOTES: readonly string[] = [
  "What hath God wrought?\n    -- the first message on Morse's Washington-Baltimore telegraph line, 1844",
  'Mr. Watson -- come here -- I want to see you.\n    -- Alexander Graham Bell, laboratory notebook, 1876',
  'The Analytical Engine has no pretensions whatever to originate any thing.\n' +
    'It can do whatever we know how to order it to perform.\n    -- Ada Lovelace, Notes on the Analytical Engine, 1843',
  "Well done is better than well said.\n    -- Benjamin Franklin, Poor Richard's Almanack, 1737",
  'Our life is frittered away by detail. Simplify, simplify.\n    -- Henry David Thoreau, Walden, 1854',
  'A foolish consistency is the hobgoblin of little minds.\n    -- Ralph Waldo Emerson, Self-Reliance, 1841',
  'To err is human, to forgive divine.\n    -- Alexander Pope, An Essay on Criticism, 1711',
  'Now, here, you see, it takes all the running you can do, to keep in the same place.\n' +
    '    -- Lewis Carroll, Through the Looking-Glass, 1871',
  'The truth is rarely pure and never simple.\n    -- Oscar Wilde, The Importance of Being Earnest, 1895',
  'It was the best of times, it was the worst of times.\n    -- Charles Dickens, A Tale of Two Cities, 1859',
  'This above all: to thine own self be true.\n    -- William Shakespeare, Hamlet, c. 1600',
  'Always do right. This will gratify some people and astonish the rest.\n    -- Mark Twain, 1901',
  'Brevity is the soul of wit.\n    -- William Shakespeare, Hamlet, c. 1600',
];
