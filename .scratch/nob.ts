import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { createCipheriv } from 'node:crypto';
const key=new Uint8Array(32); const aad=new Uint8Array(59); const pl=new Uint8Array(70); const n=new Uint8Array(12);
for (let r=0;r<2;r++){
let t0=performance.now(); for(let i=0;i<50000;i++){chacha20poly1305(key,n,aad).encrypt(pl);} console.log('noble seal us', (performance.now()-t0)/50);
t0=performance.now(); for(let i=0;i<50000;i++){const c=createCipheriv('chacha20-poly1305',key,n,{authTagLength:16}); c.setAAD(aad,{plaintextLength:70}); c.update(pl); c.final(); c.getAuthTag();} console.log('node seal us', (performance.now()-t0)/50);
const e=createCipheriv('aes-256-ecb',key,null); e.setAutoPadding(false); const b=Buffer.alloc(16);
t0=performance.now(); for(let i=0;i<50000;i++){e.update(b);} console.log('ecb us', (performance.now()-t0)/50);
}
