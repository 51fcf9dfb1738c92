import { describe, expect, it } from 'vitest';
import { listFlags, parseListArguments } from '../../../services/ftp/fs/list-arguments.js';

describe('LIST/NLST arguments as clients send them', () => {
  it.each([
    ['', '', ''],
    ['-a', 'a', ''], // wget, NLST -a
    ['-la', 'la', ''],
    ['-l', 'l', ''],
    ['-la /pub', 'la', '/pub'], // pyftpdlib answers this with 550; we must not
    ['-a /pub/some dir', 'a', '/pub/some dir'], // basic-ftp's `LIST -a <path>`, spaces kept
    ['-l -a pub', 'la', 'pub'],
    ['-la  /', 'la', '/'], // white space after the options, however much, is not the path's
    ['-a\t/', 'a', '/'],
    [' lead', '', ' lead'], // RFC 959 5.3.1: one space after the verb, the argument is the rest
    ['  -la', '', '  -la'], // not options: the argument begins with spaces
    ['   ', '', ''], // white space only: the working directory
    ['pub', '', 'pub'],
    ['/pub/my file.txt', '', '/pub/my file.txt'],
    ['pub -la', '', 'pub -la'], // options only come first
    ['-- -weird', '', '-weird'], // `--` ends the options
    ['./-la', '', './-la'], // a file called `-la`, named so
    ['-la --', 'la', ''],
    ['-', '', ''],
  ])('%j: options %j, path %j', (argument, options, path) => {
    expect(parseListArguments(argument)).toEqual({ options, path });
  });

  it.each([
    ['', { all: false, directoryItself: false }],
    ['la', { all: true, directoryItself: false }],
    ['A', { all: true, directoryItself: false }],
    ['ld', { all: false, directoryItself: true }],
    ['lR', { all: false, directoryItself: false }], // no recursion, as vsftpd
  ])('flags of %j', (options, flags) => {
    expect(listFlags(options)).toEqual(flags);
  });
});
