// The parts of ajv and ajv-formats that compileSchema and compile-schema use, as one object.
//
// This file is the entry scripts/bundle.mjs bundles into dist/ajv.cjs: ajv is some 70 small CommonJS
// files, which Node takes 18 ms to load one by one and 6 ms as one file, at every start of an app that
// validates with a runtime schema. Both are loaded by src/schema/ajv-runtime.ts: the bundle from dist, this
// file itself (requiring the installed packages) when running from the sources.
'use strict';

// Bundled, the build defines FCFG_FORMATS_SOURCE as the text of ajv-formats' formats module (there is no
// file to read then); from the sources, it is read from the installed package.
const formatsSource =
  typeof FCFG_FORMATS_SOURCE === 'string'
    ? FCFG_FORMATS_SOURCE
    : require('node:fs').readFileSync(require.resolve('ajv-formats/dist/formats'), 'utf8');

module.exports = {
  Ajv: require('ajv').default,
  Ajv2020: require('ajv/dist/2020').default,
  addFormats: require('ajv-formats').default,
  codegen: require('ajv/dist/compile/codegen'),
  standaloneCode: require('ajv/dist/standalone').default,
  ajvVersion: require('ajv/package.json').version,
  formats: {
    fullFormats: require('ajv-formats/dist/formats').fullFormats,
    source: formatsSource,
    version: require('ajv-formats/package.json').version,
    license: require('ajv-formats/package.json').license,
  },
};
