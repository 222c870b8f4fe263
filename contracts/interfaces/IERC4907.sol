// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ERC-4907: Rental NFT, an extension of ERC-721 (https://eips.ethereum.org/EIPS/eip-4907).
/// @dev The interface id is 0xad092b5c.
interface IERC4907 {
    /// @notice Emitted when the `user` of a token or the `expires` of the user is changed; a zero
    /// `user` means there is no user.
    event UpdateUser(uint256 indexed tokenId, address indexed user, uint64 expires);

    /// @notice Sets the user of `tokenId` until `expires` (a UNIX timestamp).
    function setUser(uint256 tokenId, address user, uint64 expires) external;

    /// @notice The user of `tokenId`; zero when there is none or the user's right has expired.
    function userOf(uint256 tokenId) external view returns (address);

    /// @notice When the user's right ends; zero when there is no user.
    function userExpires(uint256 tokenId) external view returns (uint256);
}
